"""Service catalogue: municipalities (tenants), services, prices, keys, orders, cost reports."""
