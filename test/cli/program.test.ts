/** buildProgram: a run registers only the sub-command its argv names; help, completion and unknown names get them all. */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { loadAssets, loadDefaultIngressGateway } from '../../src/cli/assets.js';
import { renderDefaultIngressGateway } from '../../src/cli/ingress-gateway.js';
import { testDeps } from '../helpers.js';

const names = (argv?: string[]) => buildProgram(testDeps().deps, argv).commands.map((c) => c.name());

describe('buildProgram', () => {
  const all = names();

  it('registers every command without argv', () => {
    expect(all).toEqual(expect.arrayContaining(['version', 'manifest', 'analyze', 'install', 'upgrade', 'x', 'tag', 'waypoint', 'completion', '__complete']));
  });

  it.each([
    [['version'], ['version']],
    [['--context', 'dev', '-c', 'kube.yaml', '--verbose', 'version', '--short'], ['version']],
    [['--request-timeout', '3s', 'manifest', 'generate'], ['manifest']],
    [['--kubeconfig=k.yaml', 'analyze', 'a.yaml'], ['analyze']],
    [['apply', '-y'], ['install', 'upgrade']],
    [['exp', 'precheck'], ['x']],
    [['kube-uninject', '-f', 'x.yaml'], ['kube-inject', 'kube-uninject']],
  ])('registers only the command %j names', (argv, expected) => {
    expect(names(argv)).toEqual(expected);
  });

  it.each([[[]], [['--help']], [['help', 'version']], [['versoin']], [['__complete', '--', 'ver']], [['completion', 'bash']], [['--', 'version']]])(
    'registers every command for %j', (argv) => {
      expect(names(argv)).toEqual(all);
    });
});

describe('the default profile\'s ingress gateway', () => {
  it('is rendered from the package without a prebuilt copy, as the build writes it', async () => {
    const { deps } = testDeps();
    const objects = await loadDefaultIngressGateway(deps);
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toContain('Deployment/istio-ingressgateway');
    expect(objects).toEqual(renderDefaultIngressGateway(await loadAssets(deps)));
  });
});
