import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  AlreadyExistsException,
  CloudFormationClient,
  CloudFormationServiceException,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
  UpdateTerminationProtectionCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { createFakeAws, type FakeAws } from './fake-aws.js';

let fake: FakeAws;
let cf: CloudFormationClient;
let clock = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  fake = await createFakeAws({ now: () => clock });
  cf = new CloudFormationClient(fake.clientConfig());
});

afterAll(async () => {
  cf.destroy();
  await fake.close();
});

beforeEach(() => {
  fake.resetCalls();
});

function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

const template = (extraOutputs: Record<string, unknown> = {}): string =>
  JSON.stringify({
    Parameters: {
      Scheme: { Type: 'String', Default: 'internet-facing' },
      Certificate: { Type: 'String' },
    },
    Resources: {
      LB: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application' } },
      TG: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Port: 9999, Protocol: 'HTTP' } },
    },
    Outputs: {
      LoadBalancerDNSName: { Value: { 'Fn::GetAtt': ['LB', 'DNSName'] } },
      TargetGroupARN: { Value: { Ref: 'TG' } },
      Scheme: { Value: { Ref: 'Scheme' } },
      ...extraOutputs,
    },
  });

async function describe1(name: string): Promise<Stack> {
  const out = await cf.send(new DescribeStacksCommand({ StackName: name }));
  const stack = out.Stacks?.[0];
  if (stack === undefined) throw new Error('no stack');
  return stack;
}

describe('fake CloudFormation behind the real SDK client', () => {
  it('creates a stack that completes only on advance(), with parameters, tags, outputs and the ELBv2 resources', async () => {
    const created = await cf.send(
      new CreateStackCommand({
        StackName: 'kube-ingress-one',
        TemplateBody: template(),
        OnFailure: 'DELETE',
        Parameters: [{ ParameterKey: 'Certificate', ParameterValue: 'arn:aws:acm:cert/1' }],
        Tags: [{ Key: 'kubernetes:application', Value: 'kube-ingress-aws-controller' }],
        EnableTerminationProtection: true,
      }),
    );
    expect(created.StackId).toMatch(/^arn:aws:cloudformation:eu-west-1:\d{12}:stack\/kube-ingress-one\//);
    let stack = await describe1('kube-ingress-one');
    expect(stack.StackStatus).toBe('CREATE_IN_PROGRESS');
    expect(stack.Outputs ?? []).toEqual([]);
    expect(stack.CreationTime).toEqual(new Date(clock));

    expect(fake.cloudformation.advance()).toBe(1);
    stack = await describe1('kube-ingress-one');
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    expect(stack.EnableTerminationProtection).toBe(true);
    expect(stack.Tags).toEqual([{ Key: 'kubernetes:application', Value: 'kube-ingress-aws-controller' }]);
    expect(
      Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue])),
    ).toEqual({
      Scheme: 'internet-facing',
      Certificate: 'arn:aws:acm:cert/1',
    });
    const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    const tg = fake.elbv2.targetGroups().find((t) => t.arn === outputs.TargetGroupARN);
    expect(tg?.port).toBe(9999);
    expect(fake.elbv2.loadBalancers().map((lb) => lb.dnsName)).toContain(outputs.LoadBalancerDNSName);
    expect(outputs.Scheme).toBe('internet-facing');
    expect(fake.cloudformation.advance()).toBe(0);
    expect(fake.mutatingCalls('cloudformation')).toEqual(['cloudformation:CreateStack']);
  });

  it('answers a second CreateStack with the typed AlreadyExistsException', async () => {
    fake.cloudformation.createStack({ stackName: 'exists-already' });
    const err = await errorOf(
      cf.send(new CreateStackCommand({ StackName: 'exists-already', TemplateBody: template() })),
    );
    expect(err).toBeInstanceOf(AlreadyExistsException);
  });

  it('treats an identical UpdateStack as the ValidationError "No updates are to be performed."', async () => {
    fake.cloudformation.createStack({
      stackName: 'no-change',
      templateBody: template(),
      parameters: { Certificate: 'c1' },
    });
    const err = await errorOf(
      cf.send(
        new UpdateStackCommand({
          StackName: 'no-change',
          TemplateBody: template(),
          Parameters: [{ ParameterKey: 'Certificate', UsePreviousValue: true }],
        }),
      ),
    );
    expect(err).toBeInstanceOf(CloudFormationServiceException);
    expect((err as CloudFormationServiceException).name).toBe('ValidationError');
    expect((err as Error).message).toBe('No updates are to be performed.');
  });

  it('updates through UPDATE_COMPLETE_CLEANUP_IN_PROGRESS and refuses updates while in progress', async () => {
    fake.cloudformation.createStack({
      stackName: 'upd',
      templateBody: template(),
      parameters: { Certificate: 'c1' },
    });
    clock += 60_000;
    await cf.send(
      new UpdateStackCommand({
        StackName: 'upd',
        TemplateBody: template(),
        Parameters: [{ ParameterKey: 'Certificate', ParameterValue: 'c2' }],
      }),
    );
    expect((await describe1('upd')).StackStatus).toBe('UPDATE_IN_PROGRESS');
    const busy = await errorOf(
      cf.send(new UpdateStackCommand({ StackName: 'upd', UsePreviousTemplate: true, Parameters: [] })),
    );
    expect((busy as Error).message).toMatch(/is in UPDATE_IN_PROGRESS state and can not be updated/);
    fake.cloudformation.advance('upd');
    expect((await describe1('upd')).StackStatus).toBe('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    fake.cloudformation.advance('upd');
    const stack = await describe1('upd');
    expect(stack.StackStatus).toBe('UPDATE_COMPLETE');
    expect(stack.LastUpdatedTime).toEqual(new Date(clock));
    expect(fake.cloudformation.stack('upd')?.parameters.Certificate).toBe('c2');
  });

  it('rolls a failed update back to the previous parameters (UPDATE_ROLLBACK_*)', async () => {
    fake.cloudformation.createStack({
      stackName: 'upd-fail',
      templateBody: template(),
      parameters: { Certificate: 'c1' },
    });
    fake.cloudformation.failNextOperation({
      operation: 'update',
      stackName: 'upd-fail',
      reason: 'listener limit',
    });
    await cf.send(
      new UpdateStackCommand({
        StackName: 'upd-fail',
        UsePreviousTemplate: true,
        Parameters: [{ ParameterKey: 'Certificate', ParameterValue: 'c2' }],
      }),
    );
    const seen: string[] = [];
    do seen.push((await describe1('upd-fail')).StackStatus ?? '');
    while (fake.cloudformation.advance('upd-fail') > 0);
    expect(seen).toEqual([
      'UPDATE_IN_PROGRESS',
      'UPDATE_ROLLBACK_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE',
    ]);
    const stack = await describe1('upd-fail');
    expect(stack.StackStatusReason).toBe('listener limit');
    expect(stack.Parameters?.find((p) => p.ParameterKey === 'Certificate')?.ParameterValue).toBe('c1');
  });

  it('follows OnFailure on a failed create: ROLLBACK keeps a ROLLBACK_COMPLETE stack, DELETE removes it', async () => {
    fake.cloudformation.failNextOperation({ operation: 'create', count: 2 });
    await cf.send(
      new CreateStackCommand({
        StackName: 'fail-rollback',
        TemplateBody: template(),
        OnFailure: 'ROLLBACK',
        Parameters: [{ ParameterKey: 'Certificate', ParameterValue: 'c' }],
      }),
    );
    await cf.send(
      new CreateStackCommand({
        StackName: 'fail-delete',
        TemplateBody: template(),
        OnFailure: 'DELETE',
        Parameters: [{ ParameterKey: 'Certificate', ParameterValue: 'c' }],
      }),
    );
    fake.cloudformation.advance();
    expect((await describe1('fail-rollback')).StackStatus).toBe('ROLLBACK_IN_PROGRESS');
    expect((await describe1('fail-delete')).StackStatus).toBe('DELETE_IN_PROGRESS');
    fake.cloudformation.settle();
    const rolledBack = await describe1('fail-rollback');
    expect(rolledBack.StackStatus).toBe('ROLLBACK_COMPLETE');
    const gone = await errorOf(describe1('fail-delete'));
    expect((gone as Error).message).toBe('Stack with id fail-delete does not exist');
    const update = await errorOf(
      cf.send(new UpdateStackCommand({ StackName: 'fail-rollback', UsePreviousTemplate: true })),
    );
    expect((update as Error).message).toMatch(/ROLLBACK_COMPLETE state and can not be updated/);
  });

  it('refuses DeleteStack under termination protection, deletes after it is turned off, and is idempotent', async () => {
    fake.cloudformation.createStack({ stackName: 'protected', terminationProtection: true });
    const refused = await errorOf(cf.send(new DeleteStackCommand({ StackName: 'protected' })));
    expect((refused as Error).message).toMatch(/cannot be deleted while TerminationProtection is enabled/);
    await cf.send(
      new UpdateTerminationProtectionCommand({ StackName: 'protected', EnableTerminationProtection: false }),
    );
    await cf.send(new DeleteStackCommand({ StackName: 'protected' }));
    expect(fake.cloudformation.stack('protected')?.status).toBe('DELETE_IN_PROGRESS');
    fake.cloudformation.settle();
    expect(fake.cloudformation.stack('protected')).toBeUndefined();
    await cf.send(new DeleteStackCommand({ StackName: 'protected' }));
    expect(fake.mutatingCalls('cloudformation')).toEqual([
      'cloudformation:DeleteStack',
      'cloudformation:UpdateTerminationProtection',
      'cloudformation:DeleteStack',
      'cloudformation:DeleteStack',
    ]);
    expect(fake.callCounts('cloudformation')).toEqual({
      'cloudformation:DeleteStack': 3,
      'cloudformation:UpdateTerminationProtection': 1,
    });
  });

  it('finishes the operation of a stack seeded in progress on advance()', async () => {
    fake.cloudformation.createStack({ stackName: 'seeded-update', status: 'UPDATE_IN_PROGRESS' });
    fake.cloudformation.createStack({ stackName: 'seeded-delete', status: 'DELETE_IN_PROGRESS' });
    expect((await describe1('seeded-update')).StackStatus).toBe('UPDATE_IN_PROGRESS');
    fake.cloudformation.settle('seeded-update');
    fake.cloudformation.advance('seeded-delete');
    expect((await describe1('seeded-update')).StackStatus).toBe('UPDATE_COMPLETE');
    expect(fake.cloudformation.stack('seeded-delete')).toBeUndefined();
  });

  it('refuses templates over 51,200 bytes or 500 resources and undeclared or missing parameters', async () => {
    const big = JSON.stringify({
      Resources: Object.fromEntries(
        Array.from({ length: 501 }, (_, i) => [
          `R${i}`,
          { Type: 'AWS::CloudFormation::WaitConditionHandle' },
        ]),
      ),
    });
    const tooMany = await errorOf(
      cf.send(new CreateStackCommand({ StackName: 'too-many', TemplateBody: big })),
    );
    expect((tooMany as Error).message).toMatch(
      /Number of resources, 501, is greater than maximum allowed, 500/,
    );
    const tooBig = await errorOf(
      cf.send(
        new CreateStackCommand({
          StackName: 'too-big',
          TemplateBody: template({ Pad: { Value: 'x'.repeat(51_200) } }),
        }),
      ),
    );
    expect((tooBig as Error).message).toMatch(/less than or equal to 51200/);
    const missing = await errorOf(
      cf.send(new CreateStackCommand({ StackName: 'no-cert', TemplateBody: template() })),
    );
    expect((missing as Error).message).toBe('Parameters: [Certificate] must have values');
    const unknown = await errorOf(
      cf.send(
        new CreateStackCommand({
          StackName: 'unknown-param',
          TemplateBody: template(),
          Parameters: [
            { ParameterKey: 'Certificate', ParameterValue: 'c' },
            { ParameterKey: 'Nope', ParameterValue: 'x' },
          ],
        }),
      ),
    );
    expect((unknown as Error).message).toBe('Parameters: [Nope] do not exist in the template');
    expect(fake.cloudformation.stack('too-big')).toBeUndefined();
  });

  it('pages DescribeStacks with NextToken and leaves deleted stacks out', async () => {
    const paged = await createFakeAws({ cloudformation: { pageSize: 2, completeImmediately: true } });
    const client = new CloudFormationClient(paged.clientConfig());
    try {
      for (const name of ['a', 'b', 'c', 'd', 'e']) {
        await client.send(
          new CreateStackCommand({
            StackName: `page-${name}`,
            TemplateBody: template(),
            Parameters: [{ ParameterKey: 'Certificate', ParameterValue: 'c' }],
          }),
        );
      }
      await client.send(new DeleteStackCommand({ StackName: 'page-c' }));
      const names: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const out = await client.send(
          new DescribeStacksCommand(token === undefined ? {} : { NextToken: token }),
        );
        pages += 1;
        for (const s of out.Stacks ?? []) names.push(`${s.StackName ?? ''}:${s.StackStatus ?? ''}`);
        token = out.NextToken;
      } while (token !== undefined && pages < 10);
      expect(pages).toBe(2);
      expect(names).toEqual([
        'page-a:CREATE_COMPLETE',
        'page-b:CREATE_COMPLETE',
        'page-d:CREATE_COMPLETE',
        'page-e:CREATE_COMPLETE',
      ]);
      // Deleted stacks' load balancers and target groups are gone from ELBv2 too.
      expect(paged.elbv2.loadBalancers()).toHaveLength(4);
    } finally {
      client.destroy();
      await paged.close();
    }
  });
});
