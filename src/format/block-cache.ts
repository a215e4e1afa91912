// The block cache: decoded data blocks of segment files, shared by all open segments, bounded in
// bytes. Entries are keyed by (file number, block offset) in a map per file (so `evictFile` touches
// only that file's blocks) and linked in one list. Eviction is CLOCK (second chance): a hit only sets
// the block's `referenced` bit, and eviction passes over referenced blocks once, clearing the bit,
// before it drops unreferenced ones. That keeps LRU-like behaviour while a hit costs no list moves;
// readers that register a slot (segments) find their cached blocks by index without any map lookup.

import type { Block } from "./block.js";

export interface BlockCacheStats {
  hits: number;
  misses: number;
  /** Bytes charged for the blocks held (Block.byteSize). */
  bytes: number;
  capacity: number;
  entries: number;
}

/** Where a reader keeps its own direct reference to a cached block, cleared when the block is evicted. */
export interface CacheSlot {
  slots: (Block | undefined)[];
  index: number;
}

class CacheNode {
  prev: CacheNode | null = null;
  next: CacheNode | null = null;
  constructor(
    readonly fileNumber: number,
    readonly offset: number,
    public block: Block,
    public charge: number,
    public slot: CacheSlot | undefined,
  ) {}
}

export class BlockCache {
  /** Capacity in bytes. */
  readonly capacity: number;
  private readonly files = new Map<number, Map<number, CacheNode>>();
  /** Most recently used. */
  private head: CacheNode | null = null;
  /** Least recently used: evicted first. */
  private tail: CacheNode | null = null;
  private bytes = 0;
  private count = 0;
  private hits = 0;
  private misses = 0;

  constructor(capacity: number) {
    if (!(capacity >= 0) || !Number.isFinite(capacity)) {
      throw new RangeError(`block cache capacity must be a finite number >= 0, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  /** The cached block of file `fileNumber` at `offset`, refreshed as most recently used. */
  get(fileNumber: number, offset: number): Block | undefined {
    const node = this.files.get(fileNumber)?.get(offset);
    if (node === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    node.block.referenced = true;
    return node.block;
  }

  /** Counts a hit that a reader served from its own slot (and marks the block referenced). */
  hit(block: Block): void {
    this.hits++;
    block.referenced = true;
  }

  /** Caches a block (replacing any block at the same place), then evicts down to capacity. */
  set(fileNumber: number, offset: number, block: Block, slot?: CacheSlot): void {
    const charge = block.byteSize;
    let perFile = this.files.get(fileNumber);
    const old = perFile?.get(offset);
    if (old !== undefined) {
      this.bytes += charge - old.charge;
      old.block = block;
      old.charge = charge;
      if (old.slot) old.slot.slots[old.slot.index] = undefined;
      old.slot = slot;
      if (slot) slot.slots[slot.index] = block;
      if (old !== this.head) {
        this.unlink(old);
        this.pushFront(old);
      }
    } else {
      if (charge > this.capacity) return; // would evict everything and then itself
      if (perFile === undefined) {
        perFile = new Map();
        this.files.set(fileNumber, perFile);
      }
      const node = new CacheNode(fileNumber, offset, block, charge, slot);
      perFile.set(offset, node);
      if (slot) slot.slots[slot.index] = block;
      this.pushFront(node);
      this.bytes += charge;
      this.count++;
    }
    this.evict();
  }

  /** CLOCK from the tail: a referenced block gets a second chance at the head, others go. */
  private evict(): void {
    let passes = this.count; // each node is passed over at most once per call
    while (this.bytes > this.capacity && this.tail !== null) {
      const victim = this.tail;
      if (victim.block.referenced && passes-- > 0) {
        victim.block.referenced = false;
        this.unlink(victim);
        this.pushFront(victim);
      } else {
        this.remove(victim);
      }
    }
  }

  /** Drops every block of a file (called when the file is deleted). */
  evictFile(fileNumber: number): void {
    const perFile = this.files.get(fileNumber);
    if (perFile === undefined) return;
    for (const node of perFile.values()) {
      if (node.slot) node.slot.slots[node.slot.index] = undefined;
      this.unlink(node);
      this.bytes -= node.charge;
      this.count--;
    }
    this.files.delete(fileNumber);
  }

  /** Drops everything (the hit and miss counters are kept). */
  clear(): void {
    for (const perFile of this.files.values()) {
      for (const node of perFile.values()) if (node.slot) node.slot.slots[node.slot.index] = undefined;
    }
    this.files.clear();
    this.head = this.tail = null;
    this.bytes = 0;
    this.count = 0;
  }

  /** Bytes that can still be cached before anything must be evicted. */
  room(): number {
    return this.capacity - this.bytes;
  }

  stats(): BlockCacheStats {
    return { hits: this.hits, misses: this.misses, bytes: this.bytes, capacity: this.capacity, entries: this.count };
  }

  private remove(node: CacheNode): void {
    if (node.slot) node.slot.slots[node.slot.index] = undefined;
    this.unlink(node);
    this.bytes -= node.charge;
    this.count--;
    const perFile = this.files.get(node.fileNumber);
    if (perFile !== undefined) {
      perFile.delete(node.offset);
      if (perFile.size === 0) this.files.delete(node.fileNumber);
    }
  }

  private unlink(node: CacheNode): void {
    if (node.prev !== null) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = null;
  }

  private pushFront(node: CacheNode): void {
    node.prev = null;
    node.next = this.head;
    if (this.head !== null) this.head.prev = node;
    this.head = node;
    if (this.tail === null) this.tail = node;
  }
}
