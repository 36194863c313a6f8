"""Maps: needs and communities as GeoJSON (RFC 7946), for GIS tools and web maps."""
