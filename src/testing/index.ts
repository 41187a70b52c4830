export { type ExpectedError, given } from "./given.js";
export { type Row, snapshot } from "./snapshot.js";
export {
  createTestStore,
  type ExpectedRows,
  expectRows,
  readJsonl,
  replayEvents,
  type TestStore,
} from "./testStore.js";
