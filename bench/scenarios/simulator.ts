/** The simulator's own benchmark (bench/simulator.ts): list-call throughput with zero latency and the memory of the `large` model. */
import { runSimulatorBench } from "../simulator.js";
import { int } from "../lib/format.js";
import type { Scenario, ScenarioOutput } from "../lib/result.js";

interface SimulatorFigures {
  memory: Record<string, number | string>;
  rawClient: { method: string; secondsPerRun: number; runs: number; operations: Record<string, { medianRps: number; runsRps: number[]; errors: number }> };
  sdkClient: { method: string; medianRps: number; runsRps: number[] };
}

export const simulatorScenario: Scenario = {
  name: "simulator",
  title: "Simulator: list-call throughput and model memory",
  async run(options): Promise<ScenarioOutput> {
    const figures = (await runSimulatorBench({ quick: options.quick })) as unknown as SimulatorFigures;
    const memoryKeys = Object.keys(figures.memory);
    return {
      settings: { raw: figures.rawClient.method, sdk: figures.sdkClient.method, secondsPerRun: figures.rawClient.secondsPerRun, runs: figures.rawClient.runs },
      checks: [],
      tables: [
        {
          title: "Throughput, zero latency (requests/s, median of runs)",
          columns: ["workload", "requests/s", "errors"],
          rows: [
            ...Object.entries(figures.rawClient.operations).map(([name, o]) => [name, int(o.medianRps), o.errors]),
            ["Identity Store ListUsers through the SDK client, in-process", int(figures.sdkClient.medianRps), 0],
          ],
        },
        { title: "The `large` model in memory", columns: memoryKeys, rows: [memoryKeys.map((k) => String(figures.memory[k]))] },
      ],
      notes: ["No targets: these figures say how far the simulator is from being the bottleneck of the other scenarios (they need at most a few hundred requests per second)."],
      data: figures,
    };
  },
};
