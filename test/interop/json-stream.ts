import { spawn } from "node:child_process";

/**
 * `baton grants -o json` on a medium organisation prints gigabytes (every grant with its
 * entitlement, resource, type and principal): more than one JS string can hold. This walks the
 * output as a stream and hands back only the values at the paths asked for.
 */
export type Path = Array<string | number>;

export class JsonPathTap {
  readonly #stack: Array<{ array: boolean; key: string | number; index: number }> = [];
  #inString = false;
  #escape = false;
  #unicode = -1;
  #hex = "";
  #buffer = "";
  #expectKey = false;
  #pendingKey: string | undefined;

  constructor(
    private readonly onString: (path: Path, value: string) => void,
    private readonly onObjectStart: (path: Path) => void = () => undefined,
  ) {}

  #path(): Path {
    return this.#stack.map((f) => f.key).slice(1);
  }

  write(chunk: string): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.#inString) {
        if (this.#unicode >= 0) {
          this.#hex += c;
          if (++this.#unicode === 4) {
            this.#buffer += String.fromCharCode(parseInt(this.#hex, 16));
            this.#unicode = -1;
            this.#hex = "";
          }
        } else if (this.#escape) {
          this.#escape = false;
          if (c === "u") this.#unicode = 0;
          else this.#buffer += c === "n" ? "\n" : c === "t" ? "\t" : c === "r" ? "\r" : c === "b" ? "\b" : c === "f" ? "\f" : c;
        } else if (c === "\\") this.#escape = true;
        else if (c === '"') {
          this.#inString = false;
          this.#stringDone(this.#buffer);
        } else this.#buffer += c;
        continue;
      }
      switch (c) {
        case '"':
          this.#inString = true;
          this.#buffer = "";
          break;
        case "{":
        case "[": {
          const top = this.#stack[this.#stack.length - 1];
          const key = top ? (top.array ? top.index : (this.#pendingKey ?? "")) : "$";
          this.#stack.push({ array: c === "[", key, index: 0 });
          if (c === "{") {
            this.onObjectStart(this.#path());
            this.#expectKey = true;
          }
          break;
        }
        case "}":
        case "]":
          this.#stack.pop();
          this.#expectKey = false;
          break;
        case ",": {
          const top = this.#stack[this.#stack.length - 1];
          if (top?.array) top.index++;
          else this.#expectKey = true;
          break;
        }
        case ":":
          this.#expectKey = false;
          break;
        default:
          break;
      }
    }
  }

  #stringDone(value: string): void {
    const top = this.#stack[this.#stack.length - 1];
    if (top && !top.array && this.#expectKey) {
      this.#pendingKey = value;
      return;
    }
    const key = top?.array ? top.index : (this.#pendingKey ?? "");
    this.onString([...this.#path(), key], value);
  }
}

/** Runs a command and feeds its stdout to the tap; rejects on a non-zero exit. */
export function tapCommand(command: string, args: string[], tap: JsonPathTap): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => tap.write(chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr.slice(-500)}`))));
  });
}
