// The official openai npm package against a running mercury-server, as any app would use it.
// Usage: node client-check.mjs <baseURL ending in /v1>
// Checks structure only (the model may be tiny): every check throws on failure; on success one JSON line
// summarises what came back, for the xunit test that runs this script to check again.
import assert from "node:assert/strict";
import OpenAI from "openai";

const baseURL = process.argv[2];
assert.ok(baseURL, "usage: node client-check.mjs <baseURL>");
let requests = 0;
const client = new OpenAI({
  baseURL,
  apiKey: "unused",
  maxRetries: 2, // the SDK's default: a 5xx would be retried, so a retry shows up in `requests`
  fetch: (url, init) => { requests++; return fetch(url, init); },
});
const summary = {};

// Models.
const models = await client.models.list();
const model = models.data[0].id;
summary.model = model;

// Chat, non-streamed and streamed at temperature 0 with a seed: the chunks add up to the same text.
const messages = [{ role: "user", content: "Write a Python function add(a, b) that returns the sum of a and b." }];
const chat = await client.chat.completions.create({ model, messages, max_tokens: 48, temperature: 0, seed: 7 });
assert.equal(chat.object, "chat.completion");
assert.equal(chat.choices[0].message.role, "assistant");
assert.equal(typeof chat.choices[0].message.content, "string");
assert.ok(chat.usage.prompt_tokens > 0 && chat.usage.completion_tokens > 0);
const stream = await client.chat.completions.create({ model, messages, max_tokens: 48, temperature: 0, seed: 7, stream: true, stream_options: { include_usage: true } });
let streamed = "", chunks = 0, streamUsage = null, streamFinish = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.usage) streamUsage = chunk.usage;
  const choice = chunk.choices[0];
  if (!choice) continue;
  streamed += choice.delta?.content ?? "";
  streamFinish = choice.finish_reason ?? streamFinish;
}
assert.equal(streamed, chat.choices[0].message.content, "streamed chunks concatenate to the non-streamed text");
assert.equal(streamFinish, chat.choices[0].finish_reason);
assert.ok(streamUsage && streamUsage.completion_tokens === chat.usage.completion_tokens);
summary.chat = { text: chat.choices[0].message.content, chunks };

// Tools: tool_choice "required" and a named function always come back as a call with JSON arguments.
const tools = [
  { type: "function", function: { name: "get_weather", description: "Weather in a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } },
  { type: "function", function: { name: "add", description: "Adds two numbers", parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] } } },
];
const weatherQuestion = [{ role: "user", content: "What is the weather in Paris?" }];
summary.tools = {};
for (const [label, tool_choice] of [["required", "required"], ["named", { type: "function", function: { name: "add" } }]]) {
  const response = await client.chat.completions.create({ model, messages: weatherQuestion, tools, tool_choice, max_tokens: 64, temperature: 0 });
  const choice = response.choices[0];
  assert.equal(choice.finish_reason, "tool_calls");
  const call = choice.message.tool_calls[0];
  assert.equal(call.type, "function");
  assert.ok(call.id);
  const declared = tools.find(t => t.function.name === call.function.name);
  assert.ok(declared, `the call names a declared tool (${call.function.name})`);
  if (label === "named") assert.equal(call.function.name, "add");
  const args = JSON.parse(call.function.arguments);
  for (const key of declared.function.parameters.required) assert.ok(key in args, `argument ${key} is present`);
  summary.tools[label] = { name: call.function.name, arguments: args };
}

// JSON mode and JSON schema: the content parses; the schema's required keys are there with their types.
const jsonObject = await client.chat.completions.create({ model, messages: [{ role: "user", content: "Describe Ada Lovelace as JSON." }], response_format: { type: "json_object" }, max_tokens: 64, temperature: 0 });
const parsedObject = JSON.parse(jsonObject.choices[0].message.content);
assert.equal(typeof parsedObject, "object");
assert.ok(parsedObject !== null && !Array.isArray(parsedObject));
const schema = { type: "object", properties: { name: { type: "string" }, born: { type: "integer" }, mathematician: { type: "boolean" } }, required: ["name", "born", "mathematician"], additionalProperties: false };
const jsonSchema = await client.chat.completions.create({ model, messages: [{ role: "user", content: "Who was Ada Lovelace?" }], response_format: { type: "json_schema", json_schema: { name: "person", schema, strict: true } }, max_tokens: 64, temperature: 0 });
const person = JSON.parse(jsonSchema.choices[0].message.content);
assert.equal(typeof person.name, "string");
assert.ok(Number.isInteger(person.born));
assert.equal(typeof person.mathematician, "boolean");
summary.json = { object: parsedObject, person };

// FIM through the legacy completions endpoint (prompt + suffix), non-streamed and streamed.
const fim = { model, prompt: "def add(a, b):\n    return ", suffix: "\n\nprint(add(1, 2))\n", max_tokens: 16, temperature: 0 };
const completion = await client.completions.create(fim);
assert.equal(completion.object, "text_completion");
assert.equal(typeof completion.choices[0].text, "string");
assert.ok(["stop", "length"].includes(completion.choices[0].finish_reason));
let fimStreamed = "";
for await (const chunk of await client.completions.create({ ...fim, stream: true })) fimStreamed += chunk.choices[0]?.text ?? "";
assert.equal(fimStreamed, completion.choices[0].text, "streamed FIM chunks concatenate to the non-streamed text");
summary.fim = { text: completion.choices[0].text, finish: completion.choices[0].finish_reason };

// A caller's mistake is a 4xx the SDK raises at once (no retries).
const before = requests;
await assert.rejects(client.completions.create({ ...fim, n: 2 }), e => e instanceof OpenAI.BadRequestError && e.param === "n");
assert.equal(requests - before, 1, "a 400 is not retried");

// Ten calls, ten requests: nothing was retried, so no answer was a 5xx.
assert.equal(requests, 10, "no request was retried");
summary.requests = requests;
console.log(JSON.stringify(summary));
