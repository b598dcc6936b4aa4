#!/usr/bin/env node
// Renders the kustomizations under infra/kubernetes and validates every object against the Kubernetes API
// schemas, without kubectl, kustomize or a cluster.
//
//   node infra/kubernetes/validate.mjs [--json] [KUSTOMIZATION_DIR ...]
//
// With no directory it renders infra/kubernetes/base and every infra/kubernetes/overlays/*. Each problem is one
// line on stderr ("error: DIR: Kind/name: /json/path: message"); the exit code is 1 when there is any, 0 when
// none. --json writes the rendered objects to stdout as {"dirs": {"DIR": [object, ...]}}.
//
// Rendering implements the part of kustomize these manifests use, as kustomize does it: resources (files and
// directories), configMapGenerator (env files and literals, with disableNameSuffixHash), strategic merge patches
// (patches: path or inline, target found by kind and name), namespace, images and replacements. Anything else in
// a kustomization, or a patch directive ($patch, ...), is refused with an error rather than rendered wrongly.
//
// Validation: the OpenAPI schemas of the Kubernetes API compiled into the npm package kubernetes-models (types,
// required fields, enums, formats), plus unknown fields (as `kubectl apply --validate=strict` and the API server's
// strict field validation reject them), found from the same package's type declarations, and the object name rules.

import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(scriptDir, "../..");

/** A problem in the manifests; the message is what the user sees. */
class ManifestError extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// YAML

function readYamlDocuments(file) {
  return parseYamlDocuments(readFileSync(file, "utf8"), rel(file));
}

function parseYamlDocuments(text, source) {
  // Kubernetes reads YAML 1.1 (sigs.k8s.io/yaml): `on`, `yes` are booleans there.
  const docs = parseAllDocuments(text, { version: "1.1", uniqueKeys: true, prettyErrors: true });
  const values = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new ManifestError(`${source}: ${doc.errors.map(e => e.message.split("\n")[0]).join("; ")}`);
    }
    const value = doc.toJS({ maxAliasCount: 0 });
    if (value !== null && value !== undefined) {
      values.push(value);
    }
  }
  return values;
}

function rel(file) {
  return path.relative(process.cwd(), file).replaceAll(path.sep, "/") || ".";
}

const isObject = value => value !== null && typeof value === "object" && !Array.isArray(value);
const clone = value => structuredClone(value);
const idOf = o => `${o.kind}/${o.metadata?.name ?? "(no name)"}`;

function refuseUnknownKeys(object, allowed, where) {
  if (!isObject(object)) {
    throw new ManifestError(`${where}: expected a mapping`);
  }
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      throw new ManifestError(`${where}: '${key}' is not supported by validate.mjs (it renders only ${allowed.join(", ")}); implement it there or keep to that subset`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Kustomize, the subset

const KUSTOMIZATION_FIELDS = ["apiVersion", "kind", "namespace", "resources", "configMapGenerator", "patches", "images", "replacements"];

function render(dir) {
  const file = ["kustomization.yaml", "kustomization.yml", "Kustomization"].map(f => path.join(dir, f)).find(existsSync);
  if (!file) {
    throw new ManifestError(`${rel(dir)}: no kustomization.yaml`);
  }

  const docs = readYamlDocuments(file);
  if (docs.length !== 1) {
    throw new ManifestError(`${rel(file)}: expected one document`);
  }

  const k = docs[0];
  const where = rel(file);
  refuseUnknownKeys(k, KUSTOMIZATION_FIELDS, where);
  if (k.apiVersion !== "kustomize.config.k8s.io/v1beta1" || k.kind !== "Kustomization") {
    throw new ManifestError(`${where}: expected apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization`);
  }

  let objects = [];
  for (const entry of k.resources ?? []) {
    if (typeof entry !== "string" || entry.includes("://") || entry.startsWith("github.com/")) {
      throw new ManifestError(`${where}: resource '${entry}': only local files and directories are supported`);
    }

    const target = path.resolve(dir, entry);
    if (!existsSync(target)) {
      throw new ManifestError(`${where}: resource '${entry}' does not exist`);
    }

    objects.push(...(statSync(target).isDirectory() ? render(target) : readYamlDocuments(target)));
  }

  for (const [i, generator] of (k.configMapGenerator ?? []).entries()) {
    objects.push(generateConfigMap(dir, generator, `${where}: configMapGenerator[${i}]`));
  }

  for (const object of objects) {
    if (!isObject(object) || typeof object.kind !== "string" || !isObject(object.metadata) || typeof object.metadata.name !== "string") {
      throw new ManifestError(`${where}: every resource needs kind and metadata.name (found ${JSON.stringify(object).slice(0, 80)})`);
    }
  }

  for (const [i, patch] of (k.patches ?? []).entries()) {
    applyPatch(dir, objects, patch, `${where}: patches[${i}]`);
  }

  if (k.namespace !== undefined) {
    setNamespace(objects, k.namespace, where);
  }

  for (const [i, image] of (k.images ?? []).entries()) {
    setImage(objects, image, `${where}: images[${i}]`);
  }

  for (const [i, replacement] of (k.replacements ?? []).entries()) {
    replace(objects, replacement, `${where}: replacements[${i}]`);
  }

  const seen = new Set();
  for (const o of objects) {
    const key = `${o.apiVersion} ${idOf(o)} ${o.metadata.namespace ?? ""}`;
    if (seen.has(key)) {
      throw new ManifestError(`${where}: ${idOf(o)} is defined twice`);
    }

    seen.add(key);
  }

  return objects;
}

function generateConfigMap(dir, generator, where) {
  refuseUnknownKeys(generator, ["name", "envs", "literals", "options"], where);
  refuseUnknownKeys(generator.options ?? {}, ["disableNameSuffixHash"], `${where}.options`);
  if (generator.options?.disableNameSuffixHash !== true) {
    // A hashed name needs every reference to it rewritten (kustomize's nameReference transformer): not implemented.
    throw new ManifestError(`${where}: set options.disableNameSuffixHash: true (name hashes are not implemented)`);
  }

  const data = {};
  const add = (entry, source) => {
    const match = /^([-._a-zA-Z0-9]+)=(.*)$/.exec(entry);
    if (!match) {
      throw new ManifestError(`${source}: '${entry}' is not KEY=VALUE (a key alone, read from the environment, is not supported)`);
    }

    if (/^["']/.test(match[2])) {
      throw new ManifestError(`${source}: quoted values are not supported ('${entry}')`);
    }

    if (match[1] in data) {
      throw new ManifestError(`${source}: key ${match[1]} is set twice`);
    }

    data[match[1]] = match[2];
  };

  for (const envFile of generator.envs ?? []) {
    const file = path.resolve(dir, envFile);
    for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed !== "" && !trimmed.startsWith("#")) {
        add(trimmed, rel(file));
      }
    }
  }

  for (const literal of generator.literals ?? []) {
    add(literal, where);
  }

  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: generator.name }, data };
}

function applyPatch(dir, objects, entry, where) {
  refuseUnknownKeys(entry, ["path", "patch"], where);
  const patches = entry.path !== undefined
    ? readYamlDocuments(path.resolve(dir, entry.path))
    : parseYamlDocuments(entry.patch ?? "", `${where} (inline patch)`);
  const source = entry.path ?? "inline patch";
  for (const patch of patches) {
    if (Array.isArray(patch)) {
      throw new ManifestError(`${where} (${source}): JSON 6902 patches are not supported; write a strategic merge patch`);
    }

    if (!isObject(patch) || !patch.kind || !patch.metadata?.name) {
      throw new ManifestError(`${where} (${source}): a strategic merge patch needs kind and metadata.name`);
    }

    const matches = objects.filter(o => o.kind === patch.kind && o.metadata.name === patch.metadata.name
      && (patch.apiVersion === undefined || o.apiVersion === patch.apiVersion)
      && (patch.metadata.namespace === undefined || o.metadata.namespace === patch.metadata.namespace));
    if (matches.length !== 1) {
      throw new ManifestError(`${where} (${source}): ${idOf(patch)} matches ${matches.length} resources, expected 1`);
    }

    strategicMerge(matches[0], patch, []);
  }
}

// The merge key of each list a strategic merge patch may merge element by element (the Kubernetes types'
// patchMergeKey); lists not named here or in ATOMIC_LISTS are refused, as their strategy is not implemented.
function mergeKeyOf(pathSoFar, field) {
  switch (field) {
    case "containers":
    case "initContainers":
    case "env":
    case "volumes":
    case "imagePullSecrets":
      return "name";
    case "volumeMounts":
      return "mountPath";
    case "topologySpreadConstraints":
      return "topologyKey";
    case "ports":
      return pathSoFar.includes("containers") || pathSoFar.includes("initContainers") ? "containerPort" : "port";
    default:
      return undefined;
  }
}

// Lists Kubernetes replaces whole in a strategic merge patch.
const ATOMIC_LISTS = new Set(["args", "command", "envFrom", "accessModes", "volumeClaimTemplates", "tolerations", "drop", "add", "matchExpressions", "values", "nodeSelectorTerms"]);

function strategicMerge(target, patch, pathSoFar) {
  for (const [key, value] of Object.entries(patch)) {
    const here = [...pathSoFar, key];
    if (key.startsWith("$")) {
      throw new ManifestError(`patch directive ${key} at ${here.join(".")} is not supported`);
    }

    if (value === null) {
      delete target[key];
    } else if (isObject(value) && isObject(target[key])) {
      strategicMerge(target[key], value, here);
    } else if (Array.isArray(value) && Array.isArray(target[key])) {
      target[key] = mergeList(target[key], value, here);
    } else {
      target[key] = clone(value);
    }
  }
}

function mergeList(target, patch, here) {
  const field = here[here.length - 1];
  if (ATOMIC_LISTS.has(field)) {
    return clone(patch);
  }

  const mergeKey = mergeKeyOf(here.slice(0, -1), field);
  if (mergeKey === undefined) {
    throw new ManifestError(`patching the list ${here.join(".")} is not supported (its merge strategy is not implemented)`);
  }

  // As kustomize orders them: the patch's elements first (merged into the original's where the key matches),
  // then the original's other elements.
  const result = [];
  const patchedKeys = new Set();
  for (const element of patch) {
    if (!isObject(element) || element[mergeKey] === undefined) {
      throw new ManifestError(`every element of ${here.join(".")} in a patch needs its merge key '${mergeKey}'`);
    }

    patchedKeys.add(element[mergeKey]);
    const original = target.find(e => isObject(e) && e[mergeKey] === element[mergeKey]);
    if (original) {
      const merged = clone(original);
      strategicMerge(merged, element, [...here, `[${mergeKey}=${element[mergeKey]}]`]);
      result.push(merged);
    } else {
      result.push(clone(element));
    }
  }

  result.push(...target.filter(e => !(isObject(e) && patchedKeys.has(e[mergeKey]))));
  return result;
}

// Kinds without a namespace (those a namespace transformer leaves alone).
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
  "StorageClass", "PriorityClass", "IngressClass", "RuntimeClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "CSIDriver"]);

function setNamespace(objects, namespace, where) {
  for (const o of objects) {
    if (o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding") {
      // kustomize also rewrites their subjects' namespaces: not implemented.
      throw new ManifestError(`${where}: namespace with a ${o.kind} is not supported`);
    }

    if (o.kind === "Namespace" && o.metadata.name !== namespace) {
      throw new ManifestError(`${where}: Namespace ${o.metadata.name} differs from the kustomization's namespace ${namespace} (kustomize would rename it)`);
    }

    if (!CLUSTER_SCOPED.has(o.kind)) {
      o.metadata.namespace = namespace;
    }
  }
}

function setImage(objects, image, where) {
  refuseUnknownKeys(image, ["name", "newName", "newTag", "digest"], where);
  const visit = node => {
    if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (isObject(node)) {
      for (const [key, value] of Object.entries(node)) {
        if ((key === "containers" || key === "initContainers") && Array.isArray(value)) {
          for (const container of value) {
            if (isObject(container) && typeof container.image === "string") {
              container.image = retag(container.image, image);
            }
          }
        }

        visit(value);
      }
    }
  };
  visit(objects);
}

function retag(reference, image) {
  // name[:tag][@digest]; a registry's port (host:5000/name) is not a tag.
  const at = reference.indexOf("@");
  let name = at >= 0 ? reference.slice(0, at) : reference;
  let digest = at >= 0 ? reference.slice(at) : "";
  let tag = "";
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) {
    tag = name.slice(colon);
    name = name.slice(0, colon);
  }

  if (name !== image.name) {
    return reference;
  }

  if (image.digest !== undefined) {
    return `${image.newName ?? name}@${image.digest}`;
  }

  if (image.newTag !== undefined) {
    tag = `:${image.newTag}`;
    digest = "";
  }

  return `${image.newName ?? name}${tag}${digest}`;
}

// fieldPath as kustomize writes it: dot-separated keys, [key.with.dots] for such a key, [name=value] for the
// element of a list whose field has that value.
function parseFieldPath(fieldPath, where) {
  const segments = [];
  for (const match of fieldPath.matchAll(/\[([^\]]*)\]|([^.[\]]+)/g)) {
    if (match[1] !== undefined) {
      const eq = match[1].indexOf("=");
      segments.push(eq >= 0 ? { select: match[1].slice(0, eq), equals: match[1].slice(eq + 1) } : { key: match[1] });
    } else {
      segments.push({ key: match[2] });
    }
  }

  if (segments.length === 0) {
    throw new ManifestError(`${where}: empty fieldPath`);
  }

  return segments;
}

function walkFieldPath(root, segments, create, where) {
  let node = root;
  for (const [i, segment] of segments.slice(0, -1).entries()) {
    if (segment.select !== undefined) {
      if (!Array.isArray(node)) {
        throw new ManifestError(`${where}: [${segment.select}=${segment.equals}] needs a list`);
      }

      node = node.find(e => isObject(e) && String(e[segment.select]) === segment.equals);
      if (node === undefined) {
        throw new ManifestError(`${where}: no element with ${segment.select}=${segment.equals}`);
      }
    } else {
      if (!isObject(node)) {
        throw new ManifestError(`${where}: '${segment.key}' needs a mapping`);
      }

      if (node[segment.key] === undefined) {
        if (!create) {
          throw new ManifestError(`${where}: the field ${segments.slice(0, i + 1).map(s => s.key ?? `[${s.select}=${s.equals}]`).join(".")} does not exist`);
        }

        node[segment.key] = segments[i + 1].select !== undefined ? [] : {};
      }

      node = node[segment.key];
    }
  }

  const last = segments[segments.length - 1];
  if (last.key === undefined || !isObject(node)) {
    throw new ManifestError(`${where}: the last part of a fieldPath must name a field of a mapping`);
  }

  return { parent: node, key: last.key };
}

function replace(objects, replacement, where) {
  refuseUnknownKeys(replacement, ["source", "targets"], where);
  refuseUnknownKeys(replacement.source, ["kind", "name", "fieldPath"], `${where}.source`);
  const sources = objects.filter(o => o.kind === replacement.source.kind && o.metadata.name === replacement.source.name);
  if (sources.length !== 1) {
    throw new ManifestError(`${where}: source ${replacement.source.kind}/${replacement.source.name} matches ${sources.length} resources, expected 1`);
  }

  const sourcePath = parseFieldPath(replacement.source.fieldPath ?? "metadata.name", `${where}.source`);
  const { parent, key } = walkFieldPath(sources[0], sourcePath, false, `${where}.source`);
  if (parent[key] === undefined) {
    throw new ManifestError(`${where}.source: ${replacement.source.fieldPath} is not set`);
  }

  for (const [i, target] of (replacement.targets ?? []).entries()) {
    const at = `${where}.targets[${i}]`;
    refuseUnknownKeys(target, ["select", "fieldPaths", "options"], at);
    refuseUnknownKeys(target.select, ["kind", "name"], `${at}.select`);
    refuseUnknownKeys(target.options ?? {}, ["create"], `${at}.options`);
    const selected = objects.filter(o => o.kind === target.select.kind && (target.select.name === undefined || o.metadata.name === target.select.name));
    if (selected.length === 0) {
      throw new ManifestError(`${at}: selects nothing`);
    }

    for (const object of selected) {
      for (const fieldPath of target.fieldPaths ?? []) {
        const field = walkFieldPath(object, parseFieldPath(fieldPath, at), target.options?.create === true, `${at} ${idOf(object)} ${fieldPath}`);
        if (field.parent[field.key] === undefined && target.options?.create !== true) {
          throw new ManifestError(`${at}: ${idOf(object)} has no ${fieldPath} (set options.create to add it)`);
        }

        field.parent[field.key] = clone(parent[key]);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

const modelCache = new Map();

async function modelOf(apiVersion, kind) {
  const specifier = `kubernetes-models/${apiVersion}/${kind}`;
  if (!modelCache.has(specifier)) {
    let entry = null;
    try {
      const module = await import(specifier);
      entry = { model: module[kind], declarations: fileURLToPath(import.meta.resolve(specifier)).replace(/\.js$/, ".d.ts") };
    } catch (error) {
      if (error.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED" && error.code !== "ERR_MODULE_NOT_FOUND") {
        throw error;
      }
    }

    modelCache.set(specifier, entry);
  }

  return modelCache.get(specifier);
}

// The type declarations, read for the properties each API type has (the schemas allow unknown ones).
const declarationCache = new Map();

function declarationsOf(file) {
  if (declarationCache.has(file)) {
    return declarationCache.get(file);
  }

  const text = readFileSync(file, "utf8");
  const imports = new Map();
  for (const match of text.matchAll(/^import \{ ([^}]+) \} from "([^"]+)";$/gm)) {
    for (const name of match[1].split(",").map(s => s.trim())) {
      imports.set(name, match[2]);
    }
  }

  const lines = text.split("\n");
  const start = lines.findIndex(line => /^export interface \w+( extends [\w, ]+)? \{$/.test(line));
  let type = { kind: "leaf" }; // a type alias: IntOrString, Quantity, Time
  if (start >= 0) {
    const properties = new Map();
    for (const line of lines.slice(start + 1)) {
      if (line.startsWith("}")) {
        break;
      }

      const match = /^ {4}"([^"]+)"\??: (.+?);?$/.exec(line);
      if (match) {
        properties.set(match[1], match[2]);
      }
    }

    // An interface with no properties holds arbitrary content (RawExtension, JSON).
    type = properties.size === 0 ? { kind: "leaf" } : { kind: "object", file, imports, properties };
  }

  declarationCache.set(file, type);
  return type;
}

function resolveType(typeText, owner) {
  const array = /^Array<(\w+)>$/.exec(typeText);
  const name = array ? array[1] : typeText;
  const from = owner.imports.get(name);
  let element = { kind: "leaf" };
  if (/^I\w+$/.test(name) && from !== undefined) {
    const file = from.startsWith(".")
      ? path.resolve(path.dirname(owner.file), from).replace(/(\.js)?$/, ".d.ts")
      : fileURLToPath(import.meta.resolve(from)).replace(/\.js$/, ".d.ts");
    element = declarationsOf(file);
  }

  return array ? { kind: "array", element } : element;
}

function findUnknownFields(value, type, pointer, problems) {
  if (type.kind === "array" && Array.isArray(value)) {
    value.forEach((item, i) => findUnknownFields(item, type.element, `${pointer}/${i}`, problems));
  } else if (type.kind === "object" && isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const typeText = type.properties.get(key);
      if (typeText === undefined) {
        problems.push(`${pointer || "/"}: unknown field "${key}"`);
      } else {
        findUnknownFields(item, resolveType(typeText, type), `${pointer}/${key}`, problems);
      }
    }
  }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

async function validate(object) {
  const problems = [];
  const entry = typeof object.apiVersion === "string" ? await modelOf(object.apiVersion, object.kind) : null;
  if (!entry?.model) {
    return [`no Kubernetes schema for apiVersion ${object.apiVersion}, kind ${object.kind}`];
  }

  try {
    new entry.model(object).validate();
  } catch (error) {
    if (!Array.isArray(error.errors)) {
      throw error;
    }

    for (const e of error.errors) {
      const detail = e.params?.allowedValues ? ` (${e.params.allowedValues.join(", ")})` : "";
      problems.push(`${e.instancePath || "/"}: ${e.message}${detail}`);
    }
  }

  findUnknownFields(object, declarationsOf(entry.declarations), "", problems);

  const name = object.metadata.name;
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    problems.push(`/metadata/name: '${name}' is not a DNS subdomain (lower case letters, digits, '-', '.')`);
  }

  for (const [pointer, labels] of [["/metadata/labels", object.metadata.labels], ["/spec/template/metadata/labels", object.spec?.template?.metadata?.labels]]) {
    for (const [key, value] of Object.entries(labels ?? {})) {
      if (typeof value === "string" && (value.length > 63 || !LABEL_VALUE.test(value))) {
        problems.push(`${pointer}/${key}: '${value}' is not a valid label value`);
      }
    }
  }

  return problems;
}

// ---------------------------------------------------------------------------------------------------------------

async function main(argv) {
  const json = argv.includes("--json");
  const unknownOption = argv.find(a => a.startsWith("-") && a !== "--json");
  if (unknownOption) {
    console.error(`usage: node infra/kubernetes/validate.mjs [--json] [KUSTOMIZATION_DIR ...] (unknown option ${unknownOption})`);
    return 2;
  }

  let dirs = argv.filter(a => !a.startsWith("-")).map(a => ({ label: a, dir: path.resolve(a) }));
  if (dirs.length === 0) {
    const overlays = path.join(scriptDir, "overlays");
    dirs = [path.join(scriptDir, "base"), ...readdirSync(overlays).sort().map(d => path.join(overlays, d))]
      .map(dir => ({ label: path.relative(repoRoot, dir).replaceAll(path.sep, "/"), dir }));
  }

  let errors = 0;
  const rendered = {};
  for (const { label, dir } of dirs) {
    let objects;
    try {
      objects = render(dir);
    } catch (error) {
      if (!(error instanceof ManifestError)) {
        throw error;
      }

      console.error(`error: ${label}: ${error.message}`);
      errors++;
      continue;
    }

    let dirErrors = 0;
    for (const object of objects) {
      for (const problem of await validate(object)) {
        console.error(`error: ${label}: ${idOf(object)}: ${problem}`);
        dirErrors++;
      }
    }

    errors += dirErrors;
    rendered[label] = objects;
    const summary = `${dirErrors === 0 ? "valid" : "INVALID"} ${label}: ${objects.length} objects (${objects.map(idOf).join(", ")})`;
    if (json) {
      console.error(summary);
    } else {
      console.log(summary);
    }
  }

  if (json) {
    console.log(JSON.stringify({ dirs: rendered }, null, 2));
  }

  console.error(errors === 0 ? "every manifest is valid" : `${errors} error(s)`);
  return errors === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
