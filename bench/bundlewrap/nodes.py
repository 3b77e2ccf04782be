# The bench's nodes, with their per-node values as metadata: bench/bundlewrap.ts writes nodes.json next to this
# file in its copy of the repository under bench/out/ (same values as the cluster file and the Ansible inventory).
import json
from os.path import join

with open(join(repo_path, 'nodes.json')) as f:
    nodes = json.load(f)
