"""People: screening of high-risk roles (port VOG, VGB, ISPS), port bans, their consequences at the gate."""
