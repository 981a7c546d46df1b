/**
 * Sets variables in `process.env` and in each of `copies` (a test sandbox's copy of it, which a
 * runner made before the variables were set), and returns what puts every previous value back.
 * The one way the run id and owner tags are set and restored; restoring twice does nothing more.
 */
export function setEnv(values: Readonly<Record<string, string>>, copies: ReadonlyArray<NodeJS.ProcessEnv | undefined> = []): () => void {
  const targets = [process.env, ...copies.filter((env): env is NodeJS.ProcessEnv => env !== undefined && env !== process.env)];
  const saved = targets.map((env) => Object.keys(values).map((name) => [name, env[name]] as const));
  for (const env of targets) Object.assign(env, values);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    targets.forEach((env, i) => {
      for (const [name, value] of saved[i]!) {
        if (value === undefined) delete env[name];
        else env[name] = value;
      }
    });
  };
}
