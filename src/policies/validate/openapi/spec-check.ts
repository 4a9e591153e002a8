// Checks OpenAPI documents against the specification with @readme/openapi-parser. The parser is
// asynchronous and a policy factory is not, so the check runs where the config is loaded — an async step,
// on the loader's worker thread for reloads — and a plan compile only compiles. Verdicts are kept by
// content hash in the thread that checked; a compile that finds a known bad verdict refuses at once.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parse } from "yaml";

export type SpecVerdict = { valid: true } | { valid: false; message: string };

const KEPT = 32;
const verdicts = new Map<string, SpecVerdict>();

const keyOf = (text: string) => createHash("sha256").update(text).digest("hex");

/** The verdict this thread already has for a document's text, if any. */
export function knownVerdict(text: string): SpecVerdict | undefined {
  return verdicts.get(keyOf(text));
}

/** The parser's verdict on a document's text (JSON or YAML); remembered by content. */
export async function checkSpecification(text: string, json: boolean): Promise<SpecVerdict> {
  const key = keyOf(text);
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  let verdict: SpecVerdict;
  try {
    const doc = json ? JSON.parse(text) : parse(text);
    const { validate, compileErrors } = await import("@readme/openapi-parser");
    // `external: false`: a gateway does not fetch or read other files while loading its config; a $ref
    // outside the document is reported by the policy's compile step.
    const result = await validate(doc, { resolve: { external: false } });
    verdict = result.valid ? { valid: true } : { valid: false, message: compileErrors(result) };
  } catch (err) {
    verdict = { valid: false, message: (err as Error).message };
  }
  if (verdicts.size >= KEPT) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(key, verdict);
  return verdict;
}

/** Reads and checks one document file; a file that cannot be read is left to the compile step to report. */
export async function checkSpecificationFile(file: string): Promise<SpecVerdict> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return { valid: true };
  }
  return checkSpecification(text, /\.json$/i.test(file));
}
