// The coordinator's maps (Leaflet): needs coloured by urgency with their fill; on the
// new-need form, a point picked by clicking that fills the Latitude and Longitude fields; on
// the Grow page, a split: members' homes coloured by group and where each group meets.
// Data comes from <script type="application/json" id="need-map-data"> (no inline script).
// Needs are drawn as vector circles, so they show on a plain background if no tile loads.
document.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("need-map");
  const data = document.getElementById("need-map-data");
  if (!element || !data || typeof L === "undefined") return;
  const config = JSON.parse(data.textContent);
  const map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 19 }).addTo(map);
  const style = getComputedStyle(document.documentElement);
  const colour = (urgency) => style.getPropertyValue(`--urgency-${urgency}`).trim() || "#0b5cad";

  if (config.needs) {
    const layer = L.geoJSON(config.needs, {
      pointToLayer: (feature, point) => {
        const need = feature.properties;
        return L.circleMarker(point, {
          radius: 9, weight: 2, color: "#1b1f24", fillColor: colour(need.urgency), fillOpacity: 0.85,
        });
      },
      onEachFeature: (feature, marker) => {
        const need = feature.properties;
        const link = document.createElement("a");
        link.href = `/coordinator/needs/${encodeURIComponent(need.id)}`;
        link.textContent = need.title;
        const fill = document.createElement("div");
        fill.textContent = `${need.filled} / ${need.places} · ${need.urgency}`;
        const popup = document.createElement("div");
        popup.append(link, fill);
        marker.bindPopup(popup);
        marker.bindTooltip(`${need.title}: ${need.filled} / ${need.places}`);
      },
    }).addTo(map);
    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 14 });
    else map.setView([51.4545, -2.5879], 11);
  }

  if (config.pick) {
    const lat = document.getElementById("field-location-lat");
    const lon = document.getElementById("field-location-lon");
    let marker = null;
    const place = (point) => {
      if (marker) marker.setLatLng(point);
      else marker = L.marker(point, { keyboard: false, title: "Where the need is" }).addTo(map);
    };
    const typed = () => {
      const point = [parseFloat(lat.value), parseFloat(lon.value)];
      if (point.every(Number.isFinite)) place(point);
      return point;
    };
    const centre = config.centre ? [config.centre.lat, config.centre.lon] : [51.4545, -2.5879];
    const start = typed();
    map.setView(start.every(Number.isFinite) ? start : centre, 13);
    map.on("click", (event) => {
      lat.value = event.latlng.lat.toFixed(5);
      lon.value = event.latlng.lng.toFixed(5);
      place(event.latlng);
    });
    lat.addEventListener("change", typed);
    lon.addEventListener("change", typed);
  }

  if (config.split) {
    const group = (number) => style.getPropertyValue(`--group-${number}`).trim() || "#0072b2";
    const layers = config.split.homes.map((home) =>
      L.circleMarker([home.lat, home.lon], {
        radius: 8, weight: 2, color: "#1b1f24", fillColor: group(home.group), fillOpacity: 0.9,
      }).bindTooltip(`${home.name}: group ${home.group}`));
    const pin = (point, className, text, title) => L.marker([point.lat, point.lon], {
      title, icon: L.divIcon({ className, html: text, iconSize: [30, 30] }),
    });
    const current = config.split.current;
    if (current) {
      layers.push(pin(current, "current-meeting", "★", "The current meeting point"));
    }
    for (const place of config.split.places) {
      layers.push(pin(place, `meeting-marker group-${place.group}`, String(place.group), place.label));
    }
    const drawn = L.featureGroup(layers).addTo(map);
    map.fitBounds(drawn.getBounds(), { padding: [32, 32], maxZoom: 15 });
  }
});
