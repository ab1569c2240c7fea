/**
 * Union-find over the documents that have a candidate pair only (a Map, not an array over the
 * corpus), with path halving and union by smaller root, so a component's root is its smallest
 * index whatever order the unions come in.
 */
export class SparseUnionFind {
  readonly parent = new Map<number, number>();

  find(x: number): number {
    const p = this.parent;
    let up = p.get(x);
    if (up === undefined) return x;
    while (up !== x) {
      const grand = p.get(up) as number;
      p.set(x, grand);
      x = grand;
      up = p.get(x) as number;
    }
    return x;
  }

  union(a: number, b: number): void {
    if (!this.parent.has(a)) this.parent.set(a, a);
    if (!this.parent.has(b)) this.parent.set(b, b);
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra < rb) this.parent.set(rb, ra);
    else if (rb < ra) this.parent.set(ra, rb);
  }

  /** Every non-root member with its root, by member: the forest as edges, at most one per member. */
  edges(): Float64Array {
    const members = [...this.parent.keys()].sort((x, y) => x - y);
    const out: number[] = [];
    for (const m of members) {
      const r = this.find(m);
      if (r !== m) out.push(m, r);
    }
    return Float64Array.from(out);
  }
}
