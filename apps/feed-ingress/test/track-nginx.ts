// Jest set-up file (setupFilesAfterEnv): every nginx master the app starts in a test file's
// worker is tracked by testkit's child registry, so a jest worker that dies (crash, forced exit,
// a timed-out test's worker killed) takes nginx and its workers with it. Disarmed when nginx
// exits (its pid may then be reused).
import { observeNginxSpawns } from '@kube-edge/nginx-render';
import { trackPid } from '@kube-edge/testkit';

observeNginxSpawns(({ pid, exited }) => {
  const untrack = trackPid(pid, { children: true });
  void exited.then(untrack);
});
