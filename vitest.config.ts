import { configDefaults, defineConfig } from "vitest/config";

const timeouts = { testTimeout: 60_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    // The root's global setup (build dist/) runs on every run; a project's runs only when it has files to run.
    globalSetup: ["test/globalSetup.ts"],
    projects: [
      {
        test: {
          name: "sqlite",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/postgres/**"],
          ...timeouts,
        },
      },
      {
        // One PostgreSQL server for these files only (test/postgres/globalSetup.ts).
        test: {
          name: "postgres",
          include: ["test/postgres/**/*.test.ts"],
          globalSetup: ["test/postgres/globalSetup.ts"],
          ...timeouts,
        },
      },
    ],
  },
});
