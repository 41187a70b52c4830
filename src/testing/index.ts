export { type ExpectedError, given } from "./given.js";
export {
  createTestStore,
  type ExpectedRows,
  expectRows,
  type Row,
  readJsonl,
  replayEvents,
  type TestStore,
} from "./testStore.js";
