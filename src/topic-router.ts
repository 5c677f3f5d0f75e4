// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Per-filter message routing: the pure part of paho-mqtt's `message_callback_add` / `message_callback_remove`.
 * Filters are kept in a trie with one node per level, so a topic is split once and matched in one walk, whatever
 * the number of filters.
 *
 * @module
 */
import { validateTopicFilter } from './topic.js';

/** A value's bookkeeping, shared by all its registrations so that `match()` can deduplicate with a mark. */
interface ValueRecord<T> {
  readonly value: T;
  /** Registrations holding the value; the record is dropped at 0 so the router does not keep values alive. */
  refs: number;
  /** The `match()` generation that last collected the value; avoids a Set per call. */
  mark: number;
  /** Earliest `seq` among the registrations collected by the current `match()`. */
  order: number;
}

/** One value registered under one filter; `seq` counts `add()` calls and gives results their order. */
interface Registration<T> {
  readonly filter: string;
  readonly record: ValueRecord<T>;
  readonly seq: number;
}

class TrieNode<T> {
  children: Map<string, TrieNode<T>> | undefined = undefined;
  plus: TrieNode<T> | undefined = undefined;
  /** Filters ending with `#` just below this node, kept here because `#` also matches this level. */
  hash: Registration<T>[] | undefined = undefined;
  /** Filters ending at this node. */
  exact: Registration<T>[] | undefined = undefined;

  isEmpty(): boolean {
    return (
      this.children === undefined &&
      this.plus === undefined &&
      this.hash === undefined &&
      this.exact === undefined
    );
  }
}

const EMPTY: readonly never[] = Object.freeze([]);

function byOrder(a: ValueRecord<unknown>, b: ValueRecord<unknown>): number {
  return a.order - b.order;
}

/**
 * The levels a filter is routed by: `$share/{group}/{filter}` routes like `{filter}`, because the broker sends
 * messages of a shared subscription with their original topic. Undefined for a share prefix without a filter.
 */
function routeLevels(filter: string): string[] | undefined {
  if (!filter.startsWith('$share/')) return filter.split('/');
  const slash = filter.indexOf('/', 7);
  return slash < 0 ? undefined : filter.slice(slash + 1).split('/');
}

/**
 * Values (typically message handlers) registered under MQTT topic filters, looked up by topic.
 *
 * Matching follows the specification: `+` matches exactly one level, `#` matches its parent level and every level
 * below (`a/#` matches `a`), empty levels are levels (`a//b`), and a topic starting with `$` is not matched by a
 * filter starting with a wildcard ([MQTT-4.7.2-1]). A shared subscription filter `$share/{group}/{filter}` routes
 * like `{filter}`, but stays a filter of its own for {@link TopicRouter.has} and {@link TopicRouter.remove}.
 *
 * Values are compared with SameValueZero, as a `Map` compares keys.
 */
export class TopicRouter<T> {
  #root = new TrieNode<T>();
  #records = new Map<T, ValueRecord<T>>();
  #size = 0;
  #seq = 0;
  #generation = 0;
  // Scratch space reused by every match() (which never calls out, so never re-enters): no allocation per call.
  #found: ValueRecord<T>[] = [];
  #stackNodes: (TrieNode<T> | undefined)[] = [];
  #stackDepths: number[] = [];

  /** Number of (filter, value) registrations. */
  get size(): number {
    return this.#size;
  }

  /**
   * Registers `value` under `filter`. Adding a value that is already registered under the same filter changes
   * nothing (it keeps its place in the order of {@link TopicRouter.match}).
   *
   * @throws {InvalidArgumentError} `MQTT_ERR_INVALID_ARGUMENT` when `filter` is not a valid topic filter.
   */
  add(filter: string, value: T): void {
    validateTopicFilter(filter);
    const levels = routeLevels(filter) as string[]; // validated: a share prefix is followed by a filter
    const path = this.#path(levels, true) as TrieNode<T>[];
    const node = path[path.length - 1] as TrieNode<T>;
    const isHash = levels[levels.length - 1] === '#';
    const list = (isHash ? node.hash : node.exact) ?? [];
    let record = this.#records.get(value);
    if (record !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const r = list[i] as Registration<T>;
        if (r.filter === filter && r.record === record) return;
      }
    } else {
      record = { value, refs: 0, mark: 0, order: 0 };
      this.#records.set(value, record);
    }
    record.refs++;
    list.push({ filter, record, seq: this.#seq++ });
    if (isHash) node.hash = list;
    else node.exact = list;
    this.#size++;
  }

  /**
   * Removes `value` from `filter`, or every value of `filter` when `value` is omitted (or undefined), and frees
   * the trie nodes left empty. Returns whether anything was removed; an invalid filter has nothing to remove.
   */
  remove(filter: string, value?: T): boolean {
    const levels = routeLevels(filter);
    const path = levels === undefined ? undefined : this.#path(levels, false);
    if (levels === undefined || path === undefined) return false;
    let record: ValueRecord<T> | undefined;
    if (value !== undefined) {
      record = this.#records.get(value);
      if (record === undefined) return false;
    }
    const node = path[path.length - 1] as TrieNode<T>;
    const isHash = levels[levels.length - 1] === '#';
    const list = isHash ? node.hash : node.exact;
    if (list === undefined) return false;
    const before = list.length;
    let kept = 0;
    for (let i = 0; i < before; i++) {
      const r = list[i] as Registration<T>;
      if (r.filter === filter && (record === undefined || r.record === record)) this.#release(r.record);
      else list[kept++] = r;
    }
    if (kept === before) return false;
    list.length = kept;
    if (kept === 0) {
      if (isHash) node.hash = undefined;
      else node.exact = undefined;
    }
    this.#prune(path, levels);
    return true;
  }

  /** Whether any value is registered under exactly `filter` (not under another filter that would match). */
  has(filter: string): boolean {
    const levels = routeLevels(filter);
    const path = levels === undefined ? undefined : this.#path(levels, false);
    if (levels === undefined || path === undefined) return false;
    const node = path[path.length - 1] as TrieNode<T>;
    const list = levels[levels.length - 1] === '#' ? node.hash : node.exact;
    return list?.some((r) => r.filter === filter) === true;
  }

  /**
   * Every value registered under a filter that matches `topic`, each once. Values come in the order of the `add()`
   * calls that registered them; a value registered under several matching filters takes the place of the earliest.
   * `topic` is taken to be a valid topic name (as in a received PUBLISH) and is not checked.
   *
   * @returns A new array, or a shared frozen empty array when nothing matches.
   */
  match(topic: string): readonly T[] {
    const root = this.#root;
    if (root.isEmpty()) return EMPTY;
    const levels = topic.split('/');
    const gen = ++this.#generation;
    const nodes = this.#stackNodes;
    const depths = this.#stackDepths;
    let top = 0;
    if (topic.charCodeAt(0) === 0x24) {
      // [MQTT-4.7.2-1] '$' topics: skip the root's '+' and '#', so only literal first levels can match.
      const first = root.children?.get(levels[0] as string);
      if (first !== undefined) {
        nodes[0] = first;
        depths[0] = 1;
        top = 1;
      }
    } else {
      nodes[0] = root;
      depths[0] = 0;
      top = 1;
    }
    while (top > 0) {
      top--;
      const node = nodes[top] as TrieNode<T>;
      nodes[top] = undefined; // so the scratch stack does not keep pruned nodes alive
      const depth = depths[top] as number;
      if (node.hash !== undefined) this.#collect(node.hash, gen);
      if (depth === levels.length) {
        if (node.exact !== undefined) this.#collect(node.exact, gen);
        continue;
      }
      const child = node.children?.get(levels[depth] as string);
      if (child !== undefined) {
        nodes[top] = child;
        depths[top++] = depth + 1;
      }
      if (node.plus !== undefined) {
        nodes[top] = node.plus;
        depths[top++] = depth + 1;
      }
    }
    return this.#results();
  }

  /** Removes every registration. */
  clear(): void {
    this.#root = new TrieNode<T>();
    this.#records.clear();
    this.#size = 0;
  }

  /**
   * Number of trie nodes below the root, counted by walking the trie: 0 once every filter is removed.
   *
   * @internal For tests that check empty nodes are freed.
   */
  get nodeCount(): number {
    let count = 0;
    const pending = [this.#root];
    for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
      if (node.plus !== undefined) pending.push(node.plus);
      if (node.children !== undefined) pending.push(...node.children.values());
      if (node !== this.#root) count++;
    }
    return count;
  }

  /** The nodes from the root along `levels`, down to the one holding the filter ('#' is kept on its parent). */
  #path(levels: readonly string[], create: boolean): TrieNode<T>[] | undefined {
    let node = this.#root;
    const path = [node];
    const end = levels[levels.length - 1] === '#' ? levels.length - 1 : levels.length;
    for (let i = 0; i < end; i++) {
      const level = levels[i] as string;
      let next = level === '+' ? node.plus : node.children?.get(level);
      if (next === undefined) {
        if (!create) return undefined;
        next = new TrieNode<T>();
        if (level === '+') node.plus = next;
        else {
          node.children ??= new Map();
          node.children.set(level, next);
        }
      }
      node = next;
      path.push(node);
    }
    return path;
  }

  /** Detaches the empty nodes at the end of `path`, deepest first, so memory does not grow with churn. */
  #prune(path: readonly TrieNode<T>[], levels: readonly string[]): void {
    for (let i = path.length - 1; i > 0; i--) {
      if (!(path[i] as TrieNode<T>).isEmpty()) return;
      const parent = path[i - 1] as TrieNode<T>;
      const level = levels[i - 1] as string;
      if (level === '+') parent.plus = undefined;
      else if (parent.children !== undefined) {
        parent.children.delete(level);
        if (parent.children.size === 0) parent.children = undefined;
      }
    }
  }

  #release(record: ValueRecord<T>): void {
    this.#size--;
    if (--record.refs === 0) this.#records.delete(record.value);
  }

  #collect(list: readonly Registration<T>[], gen: number): void {
    for (let i = 0; i < list.length; i++) {
      const r = list[i] as Registration<T>;
      const record = r.record;
      if (record.mark !== gen) {
        record.mark = gen;
        record.order = r.seq;
        this.#found.push(record);
      } else if (r.seq < record.order) record.order = r.seq;
    }
  }

  #results(): readonly T[] {
    const found = this.#found;
    if (found.length === 0) return EMPTY;
    if (found.length > 1) found.sort(byOrder);
    const out = new Array<T>(found.length);
    for (let i = 0; i < found.length; i++) out[i] = (found[i] as ValueRecord<T>).value;
    found.length = 0;
    return out;
  }
}
