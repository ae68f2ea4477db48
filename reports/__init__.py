"""What people read: the pipeline pages, account page, visit planner and weekly digest."""
