import assert from 'node:assert/strict';
import { ProcedureLibrary } from '../../host/memory';
import { parseFrontMatter } from '../../host/memory/stores/frontMatter';
import { putFile, tempDir } from './helpers';

describe('memory procedures', () => {
  let root: string;

  const put = (path: string, text: string) => putFile(root, path, text);

  before(async () => {
    root = await tempDir('keel-procedures-');
    await put('AGENTS.md', '# Repository rules\nRun npm test before finishing.\n');
    await put('CLAUDE.md', 'Prefer small commits.\n');
    await put('.github/copilot-instructions.md', 'Use TypeScript strict mode.\n');
    await put('packages/api/AGENTS.md', '# API package\nEvery endpoint needs an OpenAPI entry.\n');
    await put('.keel/playbooks/release.md', '---\ntitle: Release checklist\nwhen: [release, publish a version]\n---\nBump the version, tag, write notes.\n');
    await put('.keel/playbooks/migrations.md', '---\nglobs:\n  - db/migrations/**\n  - "**/*.sql"\n---\n# Migrations\nNever edit an applied migration.\n');
    await put('.keel/playbooks/components.md', '---\nglobs: src/**/*.{tsx,jsx}\n---\nComponents are function components.\n');
    await put('.keel/playbooks/testing.md', '# Writing tests\nUnit tests use mocha and node:assert; each test must be able to fail.\n');
    await put('.keel/playbooks/docs.md', '# Documentation style\nWrite docs in plain sentences, one idea per line.\n');
    await put('.keel/playbooks/private.md', 'Ignored playbook about tests.\n');
    await put('.gitignore', '.keel/playbooks/private.md\n');
  });

  const pick = async (goal: string, files?: string[]) =>
    (await (await ProcedureLibrary.load(root)).relevant({ goal, ...(files ? { files } : {}) })).map((p) => [p.path, p.reason]);

  it('finds the instruction files and playbooks, honouring ignore files', async () => {
    const library = await ProcedureLibrary.load(root);
    assert.deepEqual(library.procedures.map((p) => [p.path, p.kind, p.scope, p.title]), [
      ['.github/copilot-instructions.md', 'copilot', '', 'copilot-instructions'],
      ['.keel/playbooks/components.md', 'playbook', '', 'components'],
      ['.keel/playbooks/docs.md', 'playbook', '', 'Documentation style'],
      ['.keel/playbooks/migrations.md', 'playbook', '', 'Migrations'],
      ['.keel/playbooks/release.md', 'playbook', '', 'Release checklist'],
      ['.keel/playbooks/testing.md', 'playbook', '', 'Writing tests'],
      ['AGENTS.md', 'agents', '', 'Repository rules'],
      ['CLAUDE.md', 'claude', '', 'CLAUDE'],
      ['packages/api/AGENTS.md', 'agents', 'packages/api', 'API package'],
    ]);
    assert.deepEqual(library.procedures.find((p) => p.path.endsWith('migrations.md'))!.globs, ['db/migrations/**', '**/*.sql']);
  });

  it('always includes repository-wide instructions, and nested ones only for their folder', async () => {
    const always = [
      ['.github/copilot-instructions.md', 'applies to the whole workspace'],
      ['AGENTS.md', 'applies to the whole workspace'],
      ['CLAUDE.md', 'applies to the whole workspace'],
    ];
    assert.deepEqual(await pick('Tidy the README'), always);
    assert.deepEqual(await pick('Add a users endpoint', ['packages/api/src/users.ts']), [...always, ['packages/api/AGENTS.md', 'applies to packages/api/, which holds packages/api/src/users.ts']]);
  });

  it('chooses playbooks by globs, by when words, and by text, not all of them', async () => {
    const playbooks = async (goal: string, files?: string[]) => (await pick(goal, files)).filter(([path]) => path!.startsWith('.keel/'));
    assert.deepEqual(await playbooks('Publish a version for the new API'), [['.keel/playbooks/release.md', 'the goal mentions "publish a version"']]);
    assert.deepEqual(await playbooks('Add a column', ['db/migrations/004_add_email.sql']), [['.keel/playbooks/migrations.md', 'db/migrations/004_add_email.sql matches db/migrations/**']]);
    assert.deepEqual(await playbooks('Fix the button', ['src/ui/Button.tsx']), [['.keel/playbooks/components.md', 'src/ui/Button.tsx matches src/**/*.{tsx,jsx}']]);
    assert.deepEqual(await playbooks('Add unit tests for the parser'), [['.keel/playbooks/testing.md', 'its text matches the goal']]);
    assert.deepEqual(await playbooks('Releases are slow'), [], '"release" is a whole word, and no playbook text matches');
  });

  it('offers an agent definition when the goal matches what it is for', async () => {
    const other = await tempDir('keel-agents-');
    const write = (path: string, text: string) => putFile(other, path, text);
    await write('.keel/agents/reviewer.md', '---\nname: Security reviewer\ndescription: Reviews changes for injection, secrets and unsafe deserialisation.\n---\nRead the diff, list findings by severity.\n');
    await write('.github/agents/docs.agent.md', '---\ndescription: Writes and updates documentation pages\ntools: [read_file]\n---\nKeep pages short.\n');
    const library = await ProcedureLibrary.load(other);
    assert.deepEqual(library.procedures.map((p) => [p.path, p.kind, p.title]), [['.github/agents/docs.agent.md', 'agent', 'docs.agent'], ['.keel/agents/reviewer.md', 'agent', 'Security reviewer']]);
    const chosen = await library.relevant({ goal: 'check this change for secrets and injection' });
    assert.deepEqual(chosen.map((p) => [p.path, p.reason]), [['.keel/agents/reviewer.md', 'its text matches the goal']]);
    assert.match(chosen[0]!.text, /^Reviews changes for injection/);
  });

  it('reads simple front matter', () => {
    const { fields, body } = parseFrontMatter("---\ntitle: 'Deploy'\nglobs: [a/**, 'b/*.{ts,tsx}']\nwhen:\n  - ship it\n  - deploy\nnested:\n  key: value\n---\nBody\n");
    assert.deepEqual(Object.fromEntries(fields), { title: ['Deploy'], globs: ['a/**', 'b/*.{ts,tsx}'], when: ['ship it', 'deploy'], nested: [] });
    assert.equal(body, 'Body\n');
    assert.deepEqual(parseFrontMatter('# No front matter\n'), { fields: new Map(), body: '# No front matter\n' });
  });
});
