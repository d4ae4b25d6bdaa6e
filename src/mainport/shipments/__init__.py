"""The shipment journey: parties, vessels, voyages, containers, declarations, events, scans,
inspections and seizures."""
