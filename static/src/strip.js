// The wall map's headline strip: today's new and closed cases, the open
// overdue and the satisfaction rate of the last 30 days, a 30-day trend and
// this month's red and black lists of villages. Every figure is read from
// the public statistics (/api/v1/stats/indicators, /api/v1/stats/timeseries,
// /api/v1/ranking), so the strip says what the API says; days are China
// Standard Time. Chart.js is imported piece by piece to keep the bundle small.

import { Chart, LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Legend } from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Legend);

// cstDay returns the day d days before today in China Standard Time.
export function cstDay(daysAgo, now = Date.now()) {
  return new Date(now + 8 * 3600e3 - daysAgo * 86400e3).toISOString().slice(0, 10);
}

// stripQueries are the API calls behind the strip, for a moment now.
export function stripQueries(now = Date.now()) {
  const today = cstDay(0, now);
  const tomorrow = cstDay(-1, now);
  const month = today.slice(0, 7);
  const from30 = cstDay(29, now);
  return {
    today: `/api/v1/stats/indicators?by=street&from=${today}&to=${tomorrow}`,
    last30: `/api/v1/stats/indicators?by=street&from=${from30}&to=${tomorrow}`,
    trend: `/api/v1/stats/timeseries?bucket=day&from=${from30}&to=${tomorrow}`,
    trendClosed: `/api/v1/stats/timeseries?bucket=day&status=closed&from=${from30}&to=${tomorrow}`,
    ranking: `/api/v1/ranking?of=village&month=${month}`,
  };
}

// createStrip fills the element with id 'strip'. fetchJSON(url) reads the
// API, t(key) translates. It returns {refresh, schedule, render, figures}.
export function createStrip({ fetchJSON, t }) {
  const $ = (id) => document.getElementById(id);
  let chart = null;
  let data = null; // the last answers
  let timer = null;
  let seq = 0;
  const figures = {}; // what is shown, for tests

  const pct = (r) => (r == null ? '–' : `${(r * 100).toFixed(1)}%`);

  function render() {
    const el = $('strip');
    if (!el) return;
    el.querySelector('.strip-error').hidden = !!data;
    if (!data) return;
    const { today, last30, trend, trendClosed, ranking } = data;
    figures.new = today.total.received;
    figures.closed = today.total.closed;
    figures.overdue = last30.total.open_overdue;
    figures.satisfaction = pct(last30.total.satisfaction_rate);
    $('strip-new').textContent = figures.new;
    $('strip-closed').textContent = figures.closed;
    $('strip-overdue').textContent = figures.overdue;
    $('strip-satisfaction').textContent = figures.satisfaction;
    const labels = trend.series.map((b) => b.start.slice(5, 10));
    figures.trend = trend.series.map((b) => b.count);
    figures.trendClosed = trendClosed.series.map((b) => b.count);
    const datasets = [
      { label: t('stripTrendNew'), data: figures.trend, borderColor: '#38bdf8', backgroundColor: 'rgba(56,189,248,0.18)', fill: true },
      { label: t('stripTrendClosed'), data: figures.trendClosed, borderColor: '#22c55e', backgroundColor: 'transparent', fill: false },
    ];
    if (!chart) {
      chart = new Chart($('strip-chart'), {
        type: 'line',
        data: { labels, datasets },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          elements: { point: { radius: 0 }, line: { borderWidth: 2, tension: 0.25 } },
          plugins: { legend: { position: 'top', align: 'end', labels: { color: '#8aa3c2', boxWidth: 10, boxHeight: 2 } } },
          scales: {
            x: { ticks: { color: '#8aa3c2', maxTicksLimit: 6, maxRotation: 0 }, grid: { display: false } },
            y: { beginAtZero: true, ticks: { color: '#8aa3c2', maxTicksLimit: 4, precision: 0 }, grid: { color: 'rgba(31,58,95,0.6)' } },
          },
        },
      });
    } else {
      chart.data.labels = labels;
      chart.data.datasets.forEach((d, i) => Object.assign(d, { label: datasets[i].label, data: datasets[i].data }));
      chart.update('none');
    }
    const list = (id, rows) => {
      const ol = $(id);
      ol.replaceChildren(...rows.slice(0, 3).map((r) => {
        const li = document.createElement('li');
        li.dataset.key = r.key;
        const name = document.createElement('span');
        name.textContent = r.name || r.key;
        const score = document.createElement('b');
        score.textContent = r.score.toFixed(1);
        li.append(name, score);
        return li;
      }));
      if (rows.length === 0) {
        const li = document.createElement('li');
        li.className = 'muted';
        li.textContent = t('stripNoRanking');
        ol.append(li);
      }
    };
    figures.red = (ranking.red ?? []).slice(0, 3).map((r) => r.key);
    figures.black = (ranking.black ?? []).slice(0, 3).map((r) => r.key);
    list('strip-red', ranking.red ?? []);
    list('strip-black', ranking.black ?? []);
    $('strip-month').textContent = ranking.month;
  }

  async function refresh() {
    clearTimeout(timer);
    const q = stripQueries();
    try {
      const keys = Object.keys(q);
      const answers = await Promise.all(keys.map((k) => fetchJSON(q[k])));
      data = Object.fromEntries(keys.map((k, i) => [k, answers[i]]));
      figures.queries = q;
      render();
      seq++;
      timer = setTimeout(refresh, 60_000); // the day turns, deadlines pass
    } catch (err) {
      console.warn('headline strip:', err.message);
      data = null;
      render();
      timer = setTimeout(refresh, 60_000);
    }
  }

  // schedule refreshes after a burst of live events has passed.
  function schedule(delay = 3000) {
    clearTimeout(timer);
    timer = setTimeout(refresh, delay);
  }

  return { refresh, schedule, render, figures, get seq() { return seq; } };
}
