"""The metrics tests' settings: probes may reach this machine."""

# The probe tests run their targets on this machine, which probes refuse unless an
# operator allow-lists loopback: the metrics package's app does.
LOCAL_NETWORKS = "127.0.0.0/8"
