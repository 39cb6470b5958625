// Validates every document of the given YAML files against the Kubernetes
// OpenAPI schemas (npm package kubernetes-models). Exit 0 all valid, 1 invalid.
"use strict";
const fs = require("fs");
const YAML = require("yaml");

function modelFor(doc) {
  const [group, version] = doc.apiVersion.includes("/") ? doc.apiVersion.split("/") : [null, doc.apiVersion];
  const path = group ? `kubernetes-models/${group}/${version}/${doc.kind}` : `kubernetes-models/${version}/${doc.kind}`;
  try {
    return require(path)[doc.kind];
  } catch (e) {
    return null;
  }
}

function validate(doc, where) {
  if (!doc || typeof doc !== "object" || !doc.kind || !doc.apiVersion) return [`${where}: not a Kubernetes object (no kind/apiVersion)`];
  if (doc.kind === "List") return (doc.items || []).flatMap((item, i) => validate(item, `${where} items[${i}]`));
  const Model = modelFor(doc);
  if (!Model) return []; // not a Kubernetes kind (e.g. Istio config): passed through unchanged
  try {
    new Model(doc).validate();
    return [];
  } catch (e) {
    return [`${where}: ${doc.kind}/${doc.metadata && doc.metadata.name}: ${e.message}`];
  }
}

let problems = [];
let count = 0;
for (const file of process.argv.slice(2)) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  docs.forEach((d, i) => {
    if (d.errors.length) problems.push(`${file}: document ${i + 1}: ${d.errors[0].message}`);
    count++;
    problems = problems.concat(validate(d.toJS(), `${file}: document ${i + 1}`));
  });
}
problems.forEach((p) => console.error(p));
console.log(`${count} document(s), ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
