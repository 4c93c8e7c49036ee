"""Work queues: every to-do count with the list it counts, where the work is done."""
