"""Learning: findings, recommendations, actions, the explorer, search, regional sharing and briefings."""
