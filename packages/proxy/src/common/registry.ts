import { MosnError } from '@mosn/stream';

/**
 * Extensions of one kind (network filters, LB types, cluster types, ...) by name. Owned by a runtime
 * instance, filled in one place; a second registration of a name is an error, and so is an unknown name.
 */
export class Registry<T> {
  readonly kind: string;
  #items = new Map<string, T>();
  constructor(kind: string) {
    this.kind = kind;
  }
  register(name: string, item: T): void {
    if (this.#items.has(name)) throw new MosnError('MOSN_ERR_DUPLICATE_EXTENSION', `${this.kind} "${name}" is already registered`);
    this.#items.set(name, item);
  }
  get(name: string): T | undefined {
    return this.#items.get(name);
  }
  has(name: string): boolean {
    return this.#items.has(name);
  }
  names(): string[] {
    return [...this.#items.keys()];
  }
}
