/** Throwaway PKI for TLS tests, made with the openssl CLI (RSA or Ed25519, like baton's own host). */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA (must be refused under mutual TLS). */
  strangerCert: string;
  strangerKey: string;
  read(path: string): Buffer;
}

export function makePki(algorithm: "rsa" | "ed25519" = "rsa"): Pki {
  const dir = mkdtempSync(join(tmpdir(), "connector-pki-"));
  const p = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const keyArgs = algorithm === "rsa" ? ["-newkey", "rsa:2048"] : ["-newkey", "ed25519"];

  const selfSigned = (name: string, cn: string) =>
    openssl("req", "-x509", ...keyArgs, "-nodes", "-keyout", p(`${name}.key`), "-out", p(`${name}.crt`), "-days", "2", "-subj", `/CN=${cn}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  selfSigned("ca", "test-ca");
  selfSigned("stranger-ca", "stranger-ca");

  const leaf = (name: string, cn: string, ca: string, ext: string) => {
    writeFileSync(p(`${name}.ext`), ext);
    openssl("req", ...keyArgs, "-nodes", "-keyout", p(`${name}.key`), "-out", p(`${name}.csr`), "-subj", `/CN=${cn}/O=Connector Tests`);
    openssl("x509", "-req", "-in", p(`${name}.csr`), "-CA", p(`${ca}.crt`), "-CAkey", p(`${ca}.key`), "-CAcreateserial",
      "-out", p(`${name}.crt`), "-days", "2", "-extfile", p(`${name}.ext`));
  };
  leaf("server", "localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n");
  leaf("client", "baton-host", "ca", "extendedKeyUsage=clientAuth\n");
  leaf("stranger", "stranger", "stranger-ca", "extendedKeyUsage=clientAuth\n");

  return {
    dir,
    caCert: p("ca.crt"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    clientCert: p("client.crt"),
    clientKey: p("client.key"),
    strangerCert: p("stranger.crt"),
    strangerKey: p("stranger.key"),
    read: (path) => readFileSync(path),
  };
}
