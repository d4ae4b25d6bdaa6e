"""Reading origin scans before the vessel sails, and hold / inspect-at-origin requests to the origin port."""
