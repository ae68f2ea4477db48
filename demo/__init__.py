"""seed_demo: the realistic demo data set."""
