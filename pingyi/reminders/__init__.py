"""催办: overdue work by unit, reminder notices and the record of who was chased when."""
