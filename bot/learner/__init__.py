"""What careerbot knows about a learner: profile, progress, roadmap, assessment and plan."""
