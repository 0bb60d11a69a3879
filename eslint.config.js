// ESLint for the browser scripts the product serves (the console's pages and the chat widget),
// not the vendored ones (Chart.js, Swagger UI, ReDoc). Run by `make lint`.
const js = require("@eslint/js");
const globals = require("globals");

const browserScript = {
  sourceType: "script",
  globals: { ...globals.browser, Chart: "readonly" },
};
const rules = {
  eqeqeq: "error",
  "no-implicit-globals": "error",
  "no-unused-vars": ["error", { caughtErrors: "none" }], // `catch (err)` that only recovers
};

module.exports = [
  { ignores: ["**/vendor/**", "**/docs/static/**", ".venv/**", "node_modules/**"] },
  js.configs.recommended,
  {
    // The console's pages: staff browsers, modern JavaScript.
    files: ["**/static/*.js"],
    ignores: ["**/widget.js"],
    languageOptions: { ecmaVersion: 2022, ...browserScript },
    rules: { ...rules, "no-var": "error", "prefer-const": "error" },
  },
  {
    // The widget runs on any shop's site, in whatever browser its customers have: ES5 syntax
    // (the built-ins it uses, Promise and Uint8Array, are in every browser with WebSocket).
    files: ["**/widget.js"],
    languageOptions: {
      ecmaVersion: 5,
      sourceType: "script",
      globals: { ...globals.browser, Promise: "readonly", Uint8Array: "readonly" },
    },
    rules,
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
  },
];
