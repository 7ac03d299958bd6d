"""Progress of the exchange by level for the Secretariat: counters, drill-down, trend, charts and exports."""
