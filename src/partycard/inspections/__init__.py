"""The Inspection Commission's inspections of the exchange work: sample, findings, conclusion, response."""
