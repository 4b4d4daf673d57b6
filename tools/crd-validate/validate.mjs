#!/usr/bin/env node
// Validate rendered custom resources against the schemas that kubernetes-models generates from
// each project's upstream API types (Gateway API, KEDA, Karpenter, prometheus-operator,
// cert-manager). Offline: the schemas ship compiled inside the npm packages.
//
//   node validate.mjs FILE_OR_DIR...      (directories: every *.yaml / *.yml below, sorted)
//
// One line per object:  ok|invalid|unchecked <file> <apiVersion>/<kind> <name>
// followed, for invalid objects, by one indented "- <path>: <message>" line per error.
// "unchecked" means no model class exists for that apiVersion/kind (core kinds included):
// such objects are listed, never counted as passed. Exit 1 if any object is invalid,
// 2 on a usage error, else 0. A summary goes to stderr.
//
// Limits of the generated schemas: types, required fields, enums, patterns, bounds and
// item counts are checked; unknown fields are not (no additionalProperties: false) and the
// CRDs' CEL rules (x-kubernetes-validations) are not part of them.
//
// The packages declare engines node >= 22; they run on node 20 as used here.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { CORE_SCHEMA, loadAll } from "js-yaml";
import * as certManager from "@kubernetes-models/cert-manager";
import * as gatewayApi from "@kubernetes-models/gateway-api";
import * as karpenter from "@kubernetes-models/karpenter";
import * as keda from "@kubernetes-models/keda";
import * as prometheusOperator from "@kubernetes-models/prometheus-operator";

const PACKAGES = [certManager, gatewayApi, karpenter, keda, prometheusOperator];
const REDACTED = "[secret]"; // what `llmfleet render` writes in place of a secret value

/** Every model class with a static apiVersion and kind, keyed "apiVersion/kind". */
function modelIndex(namespaces) {
  const index = new Map();
  const seen = new Set();
  const walk = (ns) => {
    if (seen.has(ns)) return;
    seen.add(ns);
    for (const value of Object.values(ns)) {
      if (typeof value === "function") {
        if (typeof value.apiVersion === "string" && typeof value.kind === "string"
            && typeof value.prototype.validate === "function") {
          index.set(`${value.apiVersion}/${value.kind}`, value);
        }
      } else if (value && typeof value === "object") {
        walk(value);
      }
    }
  };
  namespaces.forEach(walk);
  return index;
}

function yamlFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true })
    .map((entry) => join(path, entry))
    .filter((file) => /\.ya?ml$/.test(file) && statSync(file).isFile())
    .sort();
}

/** The value at a JSON pointer (ajv's instancePath), or undefined. */
function valueAt(object, pointer) {
  let value = object;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (value === null || typeof value !== "object") return undefined;
    value = value[key];
  }
  return value;
}

function describe(error, object) {
  const path = error.instancePath || "/";
  let message = error.message ?? error.keyword;
  if (error.keyword === "enum") message += ` ${JSON.stringify(error.params.allowedValues)}`;
  const value = valueAt(object, error.instancePath ?? "");
  if (value === REDACTED) {
    message += " (the value is the redaction placeholder: the rendered manifest cannot show it)";
  } else if (value !== undefined && (typeof value !== "object" || value === null)) {
    message += ` (got ${JSON.stringify(value).slice(0, 120)})`;
  }
  return `${path}: ${message}`;
}

/** [status, errors] of one document. */
function check(index, doc) {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)
      || typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
    return ["invalid", ["/: not a Kubernetes object (needs apiVersion and kind)"]];
  }
  const Model = index.get(`${doc.apiVersion}/${doc.kind}`);
  if (!Model) return ["unchecked", []];
  try {
    new Model(doc).validate();
    return ["ok", []];
  } catch (error) {
    if (Array.isArray(error.errors)) return ["invalid", error.errors.map((e) => describe(e, doc))];
    return ["invalid", [`/: the validator raised ${error}`]];
  }
}

function main(args) {
  if (args.length === 0 || args.includes("-h") || args.includes("--help")) {
    process.stderr.write("usage: validate.mjs FILE_OR_DIR...\n");
    return 2;
  }
  const index = modelIndex(PACKAGES);
  const counts = { ok: 0, invalid: 0, unchecked: 0 };
  for (const arg of args) {
    let files;
    try {
      files = yamlFiles(arg);
    } catch (error) {
      process.stderr.write(`${arg}: ${error.message}\n`);
      return 2;
    }
    for (const file of files) {
      let docs;
      try {
        docs = loadAll(readFileSync(file, "utf8"), { schema: CORE_SCHEMA });
      } catch (error) {
        counts.invalid++;
        console.log(`invalid ${file} -/- -\n  - YAML: ${String(error.message).split("\n")[0]}`);
        continue;
      }
      for (const doc of docs) {
        if (doc === null || doc === undefined) continue; // empty document
        const [status, errors] = check(index, doc);
        counts[status]++;
        const gvk = `${doc?.apiVersion ?? "-"}/${doc?.kind ?? "-"}`;
        const name = doc?.metadata?.name ?? "-";
        console.log([`${status} ${file} ${gvk} ${name}`, ...errors.map((e) => `  - ${e}`)].join("\n"));
      }
    }
  }
  process.stderr.write(
    `crd-validate: ${counts.ok} ok, ${counts.invalid} invalid, ${counts.unchecked} unchecked ` +
    `(${index.size} modelled kinds)\n`,
  );
  return counts.invalid > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
