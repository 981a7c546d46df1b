// A class that loads its code when it is first constructed (or extended and constructed).
type Constructor = new (...args: any[]) => object;

/**
 * `load()`'s class, loaded by the first `new`: until then, nothing of it is required. Instances are
 * made by the loaded class (its constructor and fields run) with the prototype of the class `new`
 * named, which inherits the loaded one's, so a subclass (`class Mine extends TestEnvironment`) and
 * its `super.setup()` work as with the loaded class itself.
 */
export function lazyClass<C extends Constructor>(name: string, load: () => C): C {
  let loaded: C | undefined;
  const link = (): C => {
    if (loaded) return loaded;
    loaded = load();
    Object.setPrototypeOf(Lazy.prototype, loaded.prototype);
    Object.setPrototypeOf(Lazy, loaded); // its static members
    return loaded;
  };
  function Lazy(...args: unknown[]): object {
    if (!new.target) throw new TypeError(`Class constructor ${name} cannot be invoked without 'new'`);
    return Reflect.construct(link(), args, new.target);
  }
  Object.defineProperty(Lazy, 'name', { value: name });
  return Lazy as unknown as C;
}
