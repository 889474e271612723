//! The read planner: turns wanted ranges (a big block, or many scattered tags) into as few
//! requests as the spec allows, and learns which gaps the device refuses.
//!
//! Wanted ranges of one table are sorted and merged when they overlap or touch; neighbours are
//! also merged across a gap of at most `max_gap` unwanted items, as long as the gap holds no
//! address the device is known to refuse and the request stays within the spec limit (125
//! registers, 2000 bits). Longer ranges are split at the limit. When a merged request that
//! bridged gaps fails with exception 02 (illegal data address), the caller reads its wanted
//! ranges one by one and reports the bridged gaps with [`ReadPlanner::learn_bad_gap`]; later
//! plans do not bridge them again.

use std::collections::BTreeMap;

use crate::frame::Table;

/// A range of items of one table: `count` registers or bits from `address`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub table: Table,
    pub address: u16,
    pub count: u16,
}

impl Span {
    /// One past the last address (up to 65536).
    pub fn end(&self) -> u32 {
        self.address as u32 + self.count as u32
    }
}

/// One request of a plan and the wanted ranges it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRead {
    /// What to ask the device for.
    pub span: Span,
    /// The wanted ranges inside `span` (for falling back when a bridged gap is refused).
    pub wanted: Vec<Span>,
}

impl PlannedRead {
    /// Whether the request covers addresses nobody asked for.
    pub fn bridges_gaps(&self) -> bool {
        let wanted: u32 = self.wanted.iter().map(|w| w.count as u32).sum();
        wanted < self.span.count as u32
    }

    /// The unwanted stretches inside the request.
    pub fn gaps(&self) -> Vec<Span> {
        let mut gaps = Vec::new();
        let mut at = self.span.address as u32;
        for w in &self.wanted {
            if w.address as u32 > at {
                gaps.push(Span {
                    table: self.span.table,
                    address: at as u16,
                    count: (w.address as u32 - at) as u16,
                });
            }
            at = at.max(w.end());
        }
        gaps
    }
}

/// Plans reads for one device and remembers the gaps it refused.
#[derive(Debug, Clone)]
pub struct ReadPlanner {
    /// Largest gap (in registers) bridged between two wanted register ranges.
    pub max_register_gap: u16,
    /// Largest gap (in bits) bridged between two wanted bit ranges.
    pub max_bit_gap: u16,
    /// Refused stretches per table: start → end (exclusive).
    bad: BTreeMap<Table, BTreeMap<u32, u32>>,
}

impl Default for ReadPlanner {
    fn default() -> Self {
        ReadPlanner {
            max_register_gap: 16,
            max_bit_gap: 128,
            bad: BTreeMap::new(),
        }
    }
}

impl ReadPlanner {
    /// Whether any known-bad address lies in `[start, end)` of `table`.
    fn touches_bad(&self, table: Table, start: u32, end: u32) -> bool {
        let Some(bad) = self.bad.get(&table) else {
            return false;
        };
        // The last bad stretch starting before `end` overlaps iff it ends after `start`.
        bad.range(..end)
            .next_back()
            .is_some_and(|(_, &e)| e > start)
    }

    /// Records that the device refused a bridged gap; later plans will not bridge it.
    pub fn learn_bad_gap(&mut self, gap: Span) {
        let stretches = self.bad.entry(gap.table).or_default();
        let (mut start, mut end) = (gap.address as u32, gap.end());
        // Merge with overlapping or touching stretches.
        let overlapping: Vec<(u32, u32)> = stretches
            .range(..=end)
            .filter(|(_, e)| **e >= start)
            .map(|(s, e)| (*s, *e))
            .collect();
        for (s, e) in overlapping {
            stretches.remove(&s);
            start = start.min(s);
            end = end.max(e);
        }
        stretches.insert(start, end);
    }

    /// The gaps learned so far.
    pub fn bad_gaps(&self) -> Vec<Span> {
        self.bad
            .iter()
            .flat_map(|(table, m)| {
                m.iter().map(|(s, e)| Span {
                    table: *table,
                    address: *s as u16,
                    count: (e - s) as u16,
                })
            })
            .collect()
    }

    /// Plans the requests that read every wanted span. Spans may be of several tables, in any
    /// order, overlapping; zero-length spans are ignored. Each result stays within the spec limit.
    pub fn plan(&self, wanted: &[Span]) -> Vec<PlannedRead> {
        let mut spans: Vec<Span> = wanted.iter().copied().filter(|s| s.count > 0).collect();
        spans.sort();
        let mut out = Vec::new();
        let mut i = 0;
        while i < spans.len() {
            let table = spans[i].table;
            let limit = table.max_read() as u32;
            let max_gap = if table.is_bits() {
                self.max_bit_gap
            } else {
                self.max_register_gap
            } as u32;
            // Merge overlapping/touching ranges first: a wanted run.
            let start = spans[i].address as u32;
            let mut end = spans[i].end();
            let mut members = vec![spans[i]];
            i += 1;
            while i < spans.len() && spans[i].table == table {
                let next = spans[i];
                let next_start = next.address as u32;
                let touching = next_start <= end;
                let bridgeable = next_start > end
                    && next_start - end <= max_gap
                    && next.end().max(end) - start <= limit
                    && !self.touches_bad(table, end, next_start);
                if !(touching || bridgeable) {
                    break;
                }
                if !touching && end - start >= limit {
                    break;
                }
                end = end.max(next.end());
                members.push(next);
                i += 1;
            }
            // Split the merged range at the limit; each piece keeps the wanted parts inside it.
            let mut at = start;
            while at < end {
                let piece_end = (at + limit).min(end);
                let piece = Span {
                    table,
                    address: at as u16,
                    count: (piece_end - at) as u16,
                };
                let inside = clip(&members, at, piece_end, table);
                // A piece that is all gap (cannot happen after merging) is skipped.
                if !inside.is_empty() {
                    // Trim a piece to the wanted parts it holds (a split may leave gap at its ends).
                    let s = inside.first().map(|w| w.address as u32).unwrap_or(at);
                    let e = inside.iter().map(Span::end).max().unwrap_or(piece_end);
                    out.push(PlannedRead {
                        span: Span {
                            table,
                            address: s as u16,
                            count: (e - s) as u16,
                        },
                        wanted: inside,
                    });
                }
                let _ = piece;
                at = piece_end;
            }
        }
        out
    }
}

/// The parts of `members` inside `[start, end)`, merged where they overlap, in order.
fn clip(members: &[Span], start: u32, end: u32, table: Table) -> Vec<Span> {
    let mut parts: Vec<(u32, u32)> = members
        .iter()
        .filter_map(|m| {
            let (s, e) = ((m.address as u32).max(start), m.end().min(end));
            (s < e).then_some((s, e))
        })
        .collect();
    parts.sort();
    let mut merged: Vec<(u32, u32)> = Vec::new();
    for (s, e) in parts {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
        .into_iter()
        .map(|(s, e)| Span {
            table,
            address: s as u16,
            count: (e - s) as u16,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hr(address: u16, count: u16) -> Span {
        Span {
            table: Table::Holding,
            address,
            count,
        }
    }

    #[test]
    fn splits_at_the_limit() {
        let plan = ReadPlanner::default().plan(&[hr(0, 1000)]);
        assert_eq!(plan.len(), 8);
        assert!(
            plan.iter()
                .all(|p| p.span.count == 125 && !p.bridges_gaps())
        );
        assert_eq!(plan[7].span.address, 875);
        let coils = ReadPlanner::default().plan(&[Span {
            table: Table::Coil,
            address: 10,
            count: 4001,
        }]);
        assert_eq!(
            coils.iter().map(|p| p.span.count).collect::<Vec<_>>(),
            vec![2000, 2000, 1]
        );
    }

    #[test]
    fn merges_small_gaps_only() {
        let p = ReadPlanner::default();
        let plan = p.plan(&[
            hr(10, 2),
            hr(0, 2),
            hr(20, 4),
            hr(100, 1),
            Span {
                table: Table::Input,
                address: 2,
                count: 1,
            },
        ]);
        assert_eq!(plan.len(), 3);
        assert_eq!(plan[0].span, hr(0, 24));
        assert_eq!(plan[0].gaps(), vec![hr(2, 8), hr(12, 8)]);
        assert_eq!(plan[1].span, hr(100, 1));
        assert_eq!(plan[2].span.table, Table::Input);
    }

    #[test]
    fn learned_gaps_are_not_bridged() {
        let mut p = ReadPlanner::default();
        p.learn_bad_gap(hr(5, 3));
        p.learn_bad_gap(hr(8, 2)); // touches: merged
        assert_eq!(p.bad_gaps(), vec![hr(5, 5)]);
        let plan = p.plan(&[hr(0, 5), hr(10, 5), hr(16, 1)]);
        assert_eq!(
            plan.iter().map(|r| r.span).collect::<Vec<_>>(),
            vec![hr(0, 5), hr(10, 7)]
        );
    }

    proptest! {
        /// Every wanted address is read, every request is within the limit and never bridges a
        /// learned gap, and requests do not overlap.
        #[test]
        fn plans_cover_and_respect_limits(
            wanted in prop::collection::vec((0u16..3000, 1u16..300), 1..40),
            bad in prop::collection::vec((0u16..3000, 1u16..20), 0..5),
        ) {
            let mut p = ReadPlanner::default();
            for (a, c) in &bad { p.learn_bad_gap(hr(*a, *c)); }
            let spans: Vec<Span> = wanted.iter().map(|(a, c)| hr(*a, *c)).collect();
            let plan = p.plan(&spans);
            let mut covered = std::collections::BTreeSet::new();
            let mut last_end = 0u32;
            for r in &plan {
                prop_assert!(r.span.count >= 1 && r.span.count <= 125);
                prop_assert!(r.span.address as u32 >= last_end, "overlap");
                last_end = r.span.end();
                for g in r.gaps() {
                    prop_assert!(!p.touches_bad(Table::Holding, g.address as u32, g.end()));
                }
                for a in r.span.address as u32..r.span.end() { covered.insert(a); }
            }
            for s in &spans {
                for a in s.address as u32..s.end() { prop_assert!(covered.contains(&a), "{} not read", a); }
            }
        }
    }
}
