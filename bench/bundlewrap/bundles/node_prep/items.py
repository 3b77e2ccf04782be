# The bench's node-prep plan as a BundleWrap bundle: the same end state `netstrap bootstrap` gives a node of
# bench/lab-cluster.ts (and bench/ansible/node-prep.yml). Native items where BundleWrap has one (files,
# directories, symlinks); the runtime state (sysctl, bridge, routes, NAT, the /etc/hosts block) as actions guarded
# by an `unless` check, so that an action runs only when its check fails. Every value comes from the node's
# metadata (bench/bundlewrap.ts) and is quoted with shlex.quote.
from shlex import quote

prep = node.metadata.get('node_prep')
bridge = quote(prep['bridge'])
bridge_address = quote(prep['bridge_address'])

files = {
    '/etc/sysctl.d/90-netstrap.conf': {'content': prep['sysctl_file'], 'mode': '0644'},
    # Boot persistence of the runtime state (bridge, routes, NAT), as netstrap writes it.
    '/etc/netstrap/network.sh': {'content': prep['boot_script'], 'mode': '0755', 'needs': ['directory:/etc/netstrap']},
    '/etc/systemd/system/netstrap-network.service': {'content': prep['boot_unit'], 'mode': '0644'},
}

directories = {
    '/etc/netstrap': {'mode': '0755'},
    '/etc/systemd/system/multi-user.target.wants': {'mode': '0755'},
}

symlinks = {
    '/etc/systemd/system/multi-user.target.wants/netstrap-network.service': {
        'target': '/etc/systemd/system/netstrap-network.service',
        'needs': ['directory:/etc/systemd/system/multi-user.target.wants'],
    },
}

actions = {
    'ip_forward': {
        'command': 'sysctl -q -w net.ipv4.ip_forward=1',
        'unless': '[ "$(sysctl -n net.ipv4.ip_forward)" = 1 ]',
    },
    'bridge': {
        'command': (
            f'{{ ip link show dev {bridge} >/dev/null 2>&1 || ip link add name {bridge} type bridge; }} && '
            f'ip link set dev {bridge} up && '
            f'{{ ip -o -4 addr show dev {bridge} | grep -qF " "{bridge_address}" " || ip addr add {bridge_address} dev {bridge}; }}'
        ),
        'unless': (
            f'ip -o link show dev {bridge} 2>/dev/null | grep -q "[<,]UP[,>]" && '
            f'ip -o -4 addr show dev {bridge} | grep -qF " "{bridge_address}" "'
        ),
    },
    'masquerade': {
        'command': f"iptables -t nat -A POSTROUTING -s {quote(prep['masquerade_source'])} -o eth0 -m comment --comment bundlewrap:masquerade -j MASQUERADE",
        'unless': f"iptables -t nat -C POSTROUTING -s {quote(prep['masquerade_source'])} -o eth0 -m comment --comment bundlewrap:masquerade -j MASQUERADE",
    },
    'dnat': {
        'command': f"iptables -t nat -A PREROUTING -i eth0 -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 8080 -m comment --comment bundlewrap:dnat -j DNAT --to-destination {quote(prep['dnat_to'])}",
        'unless': f"iptables -t nat -C PREROUTING -i eth0 -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 8080 -m comment --comment bundlewrap:dnat -j DNAT --to-destination {quote(prep['dnat_to'])}",
    },
}

for index, route in enumerate(prep['routes']):
    to, via = quote(route['to']), quote(route['via'])
    actions[f'route_{index}'] = {
        'command': f'ip route replace {to} via {via}',
        'unless': f'[ "$(ip -o route show {to} | awk \'{{print $3}}\')" = {via} ]',
    }

# /etc/hosts: BundleWrap has no block-in-file item; the block between the markers is compared, and replaced
# (removed, then appended at the end, as Ansible's blockinfile and netstrap do the first time) when it differs.
block = '# BEGIN netstrap\n' + prep['hosts_block'] + '\n# END netstrap\n'
current_block = "sed -n '/^# BEGIN netstrap$/,/^# END netstrap$/p' /etc/hosts"
actions['hosts_block'] = {
    'command': f"sed -i '/^# BEGIN netstrap$/,/^# END netstrap$/d' /etc/hosts && printf %s {quote(block)} >> /etc/hosts",
    'unless': f'[ "$({current_block})" = "$(printf %s {quote(block)})" ]',
}
