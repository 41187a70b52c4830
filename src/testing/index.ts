export { createTestStore, replayEvents, readJsonl, expectRows, type TestStore, type ExpectedRows, type Row } from "./testStore.js";
export { given, type ExpectedError } from "./given.js";
