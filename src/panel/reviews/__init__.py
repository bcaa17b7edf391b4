"""Reviews: review types, the lifecycle of milestones, the review record and the tracker."""
