"""Physical barriers: the register of port facilities (ISPS) with their security measures, and the badge
and ANPR/camera evidence of who and what passed their gates."""
