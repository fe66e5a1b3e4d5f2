import assert from 'node:assert/strict';
import { Sandbox } from '../../host/sandbox';
import { CORPUS } from './corpus';
import { createFixture, type CorpusFixture } from './fixture';

/** The own property names of the host's shared objects, to prove no guest reached them. */
function hostSurface(): string {
  return JSON.stringify([globalThis, Object.prototype, Array.prototype, Function.prototype, Promise.prototype].map((o) => Reflect.ownKeys(o).map(String).sort()));
}

describe('sandbox: adversarial corpus', function () {
  this.timeout(20_000);
  let sandbox: Sandbox;
  let fixture: CorpusFixture;
  let surface: string;

  before(async () => {
    fixture = await createFixture();
    sandbox = new Sandbox();
    await sandbox.execute({ code: 'return 0' });
    surface = hostSurface();
  });
  after(async () => {
    await sandbox.dispose();
    await fixture.dispose();
  });

  for (const { group, cases } of CORPUS) {
    describe(group, () => {
      for (const hostile of cases) {
        it(`contains ${hostile.name}`, async function () {
          const reason = hostile.skip?.(fixture);
          if (reason) this.skip();
          const result = await sandbox.execute({
            code: hostile.code,
            limits: hostile.limits,
            capabilities: hostile.grant?.(fixture),
            input: hostile.input?.(fixture),
          });
          assert.equal(result.outcome, hostile.outcome, `outcome ${result.outcome}: ${result.error}`);
          if (hostile.error) assert.match(result.error ?? '', hostile.error);
          if ('value' in hostile) assert.deepEqual(result.value, hostile.value);
          hostile.check?.(result, fixture);

          assert.equal(hostSurface(), surface, 'the host globals and prototypes are unchanged');
          assert.equal(({} as Record<string, unknown>).polluted, undefined);
          const next = await sandbox.execute({ code: 'return [input.n * 2, typeof Object.prototype.polluted]', input: { n: 21 } });
          assert.equal(next.outcome, 'ok', `the next execution: ${next.error}`);
          assert.deepEqual(next.value, [42, 'undefined']);
        });
      }
    });
  }
});
