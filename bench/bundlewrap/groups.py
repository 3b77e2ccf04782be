# Every bench node. The lab logs in as root and has no sudo: commands run under plain `sh -c` instead of
# BundleWrap's default `sudo -u root sh -c`.
groups = {
    'lab': {
        'member_patterns': [r'.*'],
        'cmd_wrapper_outer': 'sh -c {0}',
    },
}
