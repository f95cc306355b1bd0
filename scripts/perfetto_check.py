"""Checks trace-timeline --perfetto files against Go's own /jsontrace JSON, decoding them with the
trace protos the PyPI `perfetto` package ships (perfetto_trace_pb2), not with our messages.

Usage: perfetto_check.py LIST
  LIST: lines "OURS.pftrace GO.json[.gz] LABEL".

For each pair, the multisets of what is drawn must be equal: slices (lane, name, ts, dur, both
stacks as chains of frame names, args), regions, instants, arrows (both ends, with ids),
counter samples (counter, argument, ts, value), and the lanes with Go's names and order. Times
are integer ns (the JSON's microseconds times 1000). Prints one line per pair and totals;
exits 1 on any difference.
"""

import collections
import gzip
import json
import sys

from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

TE = pb.TrackEvent
NEEDS_STATE = pb.TracePacket.SEQ_NEEDS_INCREMENTAL_STATE


def ns(us):
    return round(us * 1000)


def args_of(d):
    return tuple(sorted((k, str(v)) for k, v in (d or {}).items()))


def from_json(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        doc = json.load(f)
    frames = doc.get("stackFrames", {})

    def chain(i):
        out = []
        while i:
            fr = frames[str(i)]
            out.append(fr["name"])
            i = fr.get("parent", 0)
        return tuple(reversed(out))

    events = doc["traceEvents"]
    sections, names, srank, ranks = {}, {}, {}, {}
    for e in events:
        if e["ph"] != "M":
            continue
        pid, tid, a = e["pid"], e.get("tid", 0), e.get("args", {})
        if e["name"] == "process_name":
            sections[pid] = a["name"]
        elif e["name"] == "process_sort_index":
            srank[pid] = a["sort_index"]
        elif e["name"] == "thread_name":
            names[(pid, tid)] = a["name"]
        elif e["name"] == "thread_sort_index":
            ranks[(pid, tid)] = a["sort_index"]
    sec = lambda pid: sections.get(pid, str(pid))
    lane = lambda pid, tid: names.get((pid, tid), str(tid))
    drawn = collections.Counter()
    unnamed = set()
    for e in events:
        ph, pid, tid = e["ph"], e["pid"], e.get("tid", 0)
        if ph == "M":
            continue
        name, ts = e.get("name", ""), ns(e["ts"])
        where = (sec(pid), lane(pid, tid))
        if ph != "C" and (pid, tid) not in names:
            unnamed.add((sec(pid), str(tid), None))
        sf = chain(e.get("sf", 0))
        if ph == "X":
            rec = ("X", where, name, ts, ns(e.get("dur", 0)), sf, chain(e.get("esf", 0)), args_of(e.get("args")), e.get("cat", ""))
        elif ph in ("b", "e", "I"):
            rec = (ph, where, name, ts, sf, args_of(e.get("args")), e.get("cat", ""))
        elif ph in ("s", "t"):
            rec = (ph, where, name, ts, e["id"], sf)
        elif ph == "C":
            for k, v in e["args"].items():
                drawn[("C", sec(pid), f"{name} {k}", ts, int(v))] += 1
            continue
        else:
            raise ValueError(f"{path}: phase {ph}")
        drawn[rec] += 1
    lanes = {("", n, srank.get(p)) for p, n in sections.items()}
    lanes |= {(sec(p), n, ranks.get((p, t))) for (p, t), n in names.items()}
    return drawn, lanes | unnamed


def from_perfetto(path):
    trace = pb.Trace()
    with open(path, "rb") as f:
        trace.ParseFromString(f.read())
    packets = list(trace.packet)
    assert packets and packets[0].first_packet_on_sequence, "no first packet"
    assert packets[0].sequence_flags & pb.TracePacket.SEQ_INCREMENTAL_STATE_CLEARED
    # A track described twice (first use, then Go's name at the end) keeps its parent, kind
    # and, where Go gives one, its rank.
    tracks = {}
    for p in packets:
        if p.HasField("track_descriptor"):
            d = p.track_descriptor
            first = tracks.get(d.uuid)
            if first is not None:
                assert (first.parent_uuid, first.HasField("counter")) == (d.parent_uuid, d.HasField("counter"))
                if d.HasField("sibling_order_rank"):
                    assert first.sibling_order_rank == d.sibling_order_rank, f"rank of {d.name}"
            tracks[d.uuid] = d
    parent = lambda u: tracks[u].parent_uuid if tracks[u].HasField("parent_uuid") else None
    funcs, frames, stacks, names, cats = {}, {}, {}, {}, {}
    described = set()
    drawn = collections.Counter()

    def intern(p):
        d = p.interned_data
        for n in d.event_names:
            names[n.iid] = n.name
        for c in d.event_categories:
            cats[c.iid] = c.name
        for s in d.function_names:
            funcs[s.iid] = s.str.decode()
        for fr in d.frames:
            n = funcs[fr.function_name_id]
            frames[fr.iid] = f"{n}:{fr.line_number}" if fr.HasField("line_number") else n
        for c in d.callstacks:
            stacks[c.iid] = tuple(frames[i] for i in c.frame_ids)

    def stack(te):
        return stacks[te.callstack_iid] if te.HasField("callstack_iid") else ()

    def args(te):
        out = []
        for a in te.debug_annotations:
            kind = a.WhichOneof("value")
            v = getattr(a, kind)
            out.append((a.name, v.decode() if isinstance(v, bytes) else str(v)))
        return tuple(sorted(out))

    i = 0
    while i < len(packets):
        p = packets[i]
        i += 1
        assert p.trusted_packet_sequence_id == packets[0].trusted_packet_sequence_id
        intern(p)
        if p.HasField("track_descriptor"):
            described.add(p.track_descriptor.uuid)
        if not p.HasField("track_event"):
            continue
        te = p.track_event
        assert p.sequence_flags & NEEDS_STATE
        assert te.track_uuid in described, f"track {te.track_uuid} used before described"
        t = te.track_uuid
        # Names and categories are in the event or interned.
        cat = te.categories[0] if te.categories else cats.get(te.category_iids[0], "") if te.category_iids else ""
        name = te.name if te.HasField("name") else names[te.name_iid] if te.HasField("name_iid") else ""
        if te.type == TE.TYPE_COUNTER:
            drawn[("C", tracks[parent(t)].name, tracks[t].name, p.timestamp, te.counter_value)] += 1
            continue
        child = None
        if parent(parent(t)) is not None:
            child, t = tracks[t].name, parent(t)
        where = (tracks[parent(t)].name, tracks[t].name)
        if te.type == TE.TYPE_SLICE_BEGIN and child != "regions":
            end = packets[i]
            i += 1
            intern(end)
            assert end.track_event.type == TE.TYPE_SLICE_END and end.track_event.track_uuid == te.track_uuid
            rec = ("X", where, name, p.timestamp, end.timestamp - p.timestamp, stack(te), stack(end.track_event), args(te), cat)
        elif te.type in (TE.TYPE_SLICE_BEGIN, TE.TYPE_SLICE_END):
            assert child == "regions"
            ph = "b" if te.type == TE.TYPE_SLICE_BEGIN else "e"
            rec = (ph, where, name, p.timestamp, stack(te), args(te), cat)
        elif te.type == TE.TYPE_INSTANT and te.flow_ids:
            rec = ("s", where, name, p.timestamp, te.flow_ids[0], stack(te))
        elif te.type == TE.TYPE_INSTANT and te.terminating_flow_ids:
            rec = ("t", where, name, p.timestamp, te.terminating_flow_ids[0], stack(te))
        elif te.type == TE.TYPE_INSTANT:
            rec = ("I", where, name, p.timestamp, stack(te), args(te), cat)
        else:
            raise ValueError(f"{path}: event type {te.type}")
        drawn[rec] += 1
    lanes = set()
    for u, d in tracks.items():
        rank = d.sibling_order_rank if d.HasField("sibling_order_rank") else None
        if not d.HasField("parent_uuid"):
            lanes.add(("", d.name, rank))
        elif parent(d.parent_uuid) is None and not d.HasField("counter"):
            lanes.add((tracks[d.parent_uuid].name, d.name, rank))
    return drawn, lanes


def main():
    totals = collections.Counter()
    bad = 0
    with open(sys.argv[1]) as f:
        pairs = [line.split() for line in f if line.strip()]
    for ours, gos, label in pairs:
        want, want_lanes = from_json(gos)
        got, got_lanes = from_perfetto(ours)
        kinds = collections.Counter()
        for rec, n in want.items():
            kinds[rec[0]] += n
        summary = " ".join(f"{k}={kinds[k]}" for k in "XbeIstC") + f" lanes={len(want_lanes)}"
        if want == got and want_lanes == got_lanes:
            print(f"ok    {label}: {summary}")
            totals.update(kinds)
            totals["lanes"] += len(want_lanes)
            totals["files"] += 1
            continue
        bad += 1
        print(f"FAIL  {label}: {summary}")
        for rec in list((want - got).keys())[:3]:
            print(f"      only in Go's JSON: {rec}")
        for rec in list((got - want).keys())[:3]:
            print(f"      only in ours: {rec}")
        for lane in sorted(want_lanes ^ got_lanes, key=str)[:3]:
            print(f"      lane differs: {lane}")
    print(
        f"perfetto-check: {totals['files']} of {len(pairs)} equal to Go's JSON: "
        f"{totals['X']} slices, {totals['b']} regions, {totals['I']} instants, "
        f"{totals['s']} arrows, {totals['C']} counter samples, {totals['lanes']} lanes"
    )
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
