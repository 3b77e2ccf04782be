#!/usr/bin/env python3
"""Runs a command and reports what it cost the controller, for bench/measure.ts:

    python3 bench/rusage.py <report.json> <sample-tree: 0|1> -- <command> [args...]

The command inherits stdin/stdout/stderr. Written to <report.json> when it ends:
- wallMs: from spawn to exit (this wrapper's own start-up is not included);
- cpuMs: user + system CPU of the command and every descendant it waited for (wait4's rusage);
- maxRssMb: the largest resident set of any one of those processes (wait4's ru_maxrss);
- treeRssMb: with sample-tree 1, the largest sum of resident sets over the command's whole process tree, sampled
  every 200 ms (a forking tool such as Ansible runs many processes at once; shared pages count once per process).
Node's child_process API has no wait4, hence this wrapper.
"""
import json
import os
import sys
import threading
import time


def tree_rss_kb(root):
    """Sum of VmRSS (kB) of `root` and its descendants, from one scan of /proc."""
    parent = {}
    rss = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                stat = f.read()
            with open(f'/proc/{entry}/statm') as f:
                resident_pages = int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        pid = int(entry)
        parent[pid] = int(stat[stat.rindex(')') + 2:].split()[1])
        rss[pid] = resident_pages * os.sysconf('SC_PAGE_SIZE') // 1024
    total = 0
    for pid in rss:
        p = pid
        for _ in range(64):  # bounded walk up the tree
            if p == root:
                total += rss[pid]
                break
            p = parent.get(p, 0)
            if p <= 1:
                break
    return total


def main():
    report, sample_tree, separator, *argv = sys.argv[1:]
    if separator != '--' or not argv:
        sys.exit('usage: rusage.py <report.json> <0|1> -- <command> [args...]')
    started = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    peak_tree_kb = 0
    done = threading.Event()

    def sample():
        nonlocal peak_tree_kb
        while not done.wait(0.2):
            peak_tree_kb = max(peak_tree_kb, tree_rss_kb(pid))

    if sample_tree == '1':
        threading.Thread(target=sample, daemon=True).start()
    # The blocking wait returns the moment the command exits; the sampler thread never delays it.
    _, status, usage = os.wait4(pid, 0)
    wall_ms = (time.perf_counter() - started) * 1000
    done.set()
    code = os.waitstatus_to_exitcode(status)
    with open(report, 'w') as f:
        json.dump({
            'status': code,
            'wallMs': wall_ms,
            'cpuMs': (usage.ru_utime + usage.ru_stime) * 1000,
            'maxRssMb': usage.ru_maxrss / 1024,
            'treeRssMb': peak_tree_kb / 1024 if sample_tree == '1' else None,
        }, f)
    sys.exit(code if code >= 0 else 128 - code)


main()
