export interface StandinServer {
  /** The variable to give the processes that run the stand-ins (STANDIN_SERVER_ENV). */
  env: Record<string, string>;
  pid: number;
  /** Stops the server and waits until it is gone. */
  stop(): Promise<void>;
}
export declare function startStandinServer(): Promise<StandinServer>;
