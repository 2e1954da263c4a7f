/** Types for the test peers (dev dependencies without bundled types); declarations only, nothing is emitted. */
declare module 'js-to-java' {
  type Wrapped = { $class: string; $: unknown };
  const java: {
    (className: string, value: unknown): Wrapped;
    int(value: number): Wrapped;
    long(value: number): Wrapped;
    Integer(value: number): Wrapped;
    String(value: string): Wrapped;
    Boolean(value: boolean): Wrapped;
    List(values: unknown[]): Wrapped;
    array(className: string, values: unknown[]): Wrapped;
  };
  export = java;
}
