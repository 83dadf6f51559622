"""Writers that turn stored records into the formats other systems read."""
