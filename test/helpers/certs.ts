// Test certificates, generated with openssl into a temporary directory: a CA and leaf certificates
// for the names asked for (the first name is the CN, all are SANs).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Leaf {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  caPath: string;
  ca: Buffer;
  leaf(name: string, names: string[]): Leaf;
  /** A self-signed certificate with this CN: same subject as a real one, but no chain to the CA. */
  selfSigned(name: string, cn: string): Leaf;
}

export function createPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-pki-"));
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const selfSigned = (name: string, cn: string): Leaf => {
    run(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
    );
    return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  };
  selfSigned("ca", "Portcullis Test CA");
  return {
    dir,
    caPath: join(dir, "ca.pem"),
    ca: readFileSync(join(dir, "ca.pem")),
    selfSigned,
    leaf(name, names) {
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\n`);
      run(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        `/CN=${names[0]}`,
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.csr`,
      );
      run(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        `${name}.ext`,
        "-out",
        `${name}.pem`,
      );
      return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
    },
  };
}
