// The mock Hugging Face Hub for the end-to-end run, bundled by scripts/e2e/run.mjs into
// .e2e/out/hub/index.js and started before code-server, whose HF_ENDPOINT points at it.
export { fixtureRepos, startMockHub, type MockHub } from '../../unit/hub/mockHub';
