/**
 * The parts of the AWS Query protocol (form-encoded request, XML response) the fakes share.
 * Shapes follow what the SDK v3 serialisers send and its deserialisers accept:
 * lists as `Name.member.N`, structures in lists as `Name.member.N.Field`, results wrapped in
 * `<ActionResponse><ActionResult>`, errors as `<ErrorResponse><Error><Type/><Code/><Message/>`.
 */

/** An error a fake answers with: HTTP status plus the Query protocol `Code` and `Message`. */
export class AwsQueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = 'AwsQueryError';
  }
}

/** The decoded form parameters of one Query request. */
export class QueryParams {
  readonly #params: URLSearchParams;
  constructor(body: string) {
    this.#params = new URLSearchParams(body);
  }

  get action(): string {
    return this.#params.get('Action') ?? '';
  }

  get version(): string {
    return this.#params.get('Version') ?? '';
  }

  /** A scalar parameter, or undefined when absent. */
  get(name: string): string | undefined {
    return this.#params.get(name) ?? undefined;
  }

  /** A scalar parameter that must be present (AWS answers ValidationError otherwise). */
  required(name: string): string {
    const value = this.get(name);
    if (value === undefined || value === '') {
      throw new AwsQueryError(
        'ValidationError',
        `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
      );
    }
    return value;
  }

  /** `Name.member.1`, `Name.member.2`, ... in order, stopping at the first gap as AWS does. */
  list(name: string): string[] {
    const out: string[] = [];
    for (let i = 1; ; i++) {
      const value = this.#params.get(`${name}.member.${i}`);
      if (value === null) return out;
      out.push(value);
    }
  }

  /** `Name.member.N.Field` structures, each as a record of its fields. */
  structList(name: string, fields: readonly string[]): Record<string, string | undefined>[] {
    const out: Record<string, string | undefined>[] = [];
    for (let i = 1; ; i++) {
      const entry: Record<string, string | undefined> = {};
      let any = false;
      for (const field of fields) {
        const value = this.#params.get(`${name}.member.${i}.${field}`);
        if (value !== null) any = true;
        entry[field] = value ?? undefined;
      }
      if (!any) return out;
      out.push(entry);
    }
  }

  /** EC2 Query lists: `Name.1`, `Name.2`, ... in order, stopping at the first gap. */
  ec2List(name: string): string[] {
    const out: string[] = [];
    for (let i = 1; ; i++) {
      const value = this.#params.get(`${name}.${i}`);
      if (value === null) return out;
      out.push(value);
    }
  }

  /**
   * Filters as the Query protocols send them: EC2's `Filter.N.Name` / `Filter.N.Value.M`
   * (`style: 'ec2'`), or `Filters.member.N.Name` / `Filters.member.N.Values.member.M`
   * (`style: 'query'`, Auto Scaling).
   */
  filters(style: 'ec2' | 'query'): { name: string; values: string[] }[] {
    const out: { name: string; values: string[] }[] = [];
    for (let i = 1; ; i++) {
      const prefix = style === 'ec2' ? `Filter.${i}` : `Filters.member.${i}`;
      const name = this.#params.get(`${prefix}.Name`);
      if (name === null) return out;
      out.push({
        name,
        values: style === 'ec2' ? this.ec2List(`${prefix}.Value`) : this.list(`${prefix}.Values`),
      });
    }
  }

  /** An integer parameter within bounds, or `fallback` when absent. */
  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new AwsQueryError(
        'ValidationError',
        `1 validation error detected: Value '${raw}' at '${name}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
      );
    }
    return value;
  }
}

/** Escapes text for an XML element body. */
export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** `<name>text</name>`, or nothing when the value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** `<name><member>..</member>...</name>` from pre-rendered member bodies. */
export function members(name: string, bodies: readonly string[]): string {
  return `<${name}>${bodies.map((b) => `<member>${b}</member>`).join('')}</${name}>`;
}

/** The success envelope the Query protocol deserialiser unwraps. */
export function queryResponse(
  action: string,
  namespace: string,
  resultBody: string,
  requestId: string,
): string {
  return (
    `<${action}Response xmlns="${namespace}"><${action}Result>${resultBody}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/** The error envelope, as ELB and ELBv2 send it. */
export function queryErrorResponse(err: AwsQueryError, namespace: string, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${err.type}</Type>${el('Code', err.code)}${el('Message', err.message)}</Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/**
 * Paging with an opaque marker, as DescribeLoadBalancers and DescribeTargetGroups do: the
 * marker encodes the offset of the next page.
 */
export function page<T>(
  items: readonly T[],
  marker: string | undefined,
  pageSize: number,
): { items: T[]; nextMarker: string | undefined } {
  let start = 0;
  if (marker !== undefined) {
    const decoded = Buffer.from(marker, 'base64').toString('utf8');
    const match = /^offset:(\d+)$/.exec(decoded);
    if (match === null) throw new AwsQueryError('ValidationError', 'Invalid Marker');
    start = Number(match[1]);
  }
  const end = start + pageSize;
  return {
    items: items.slice(start, end),
    nextMarker: end < items.length ? Buffer.from(`offset:${end}`, 'utf8').toString('base64') : undefined,
  };
}
