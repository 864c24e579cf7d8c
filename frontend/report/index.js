// The movement report's charts (Chart.js): nominees per award form and per unit at each stage.
// The numbers come from the page's JSON block (#report-data), the same the tables show.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

// Bootstrap's palette, so the charts read like the badges beside the tables.
const COLOURS = {
  awarded: '#198754',
  refused: '#dc3545',
  pending: '#6c757d',
  overdue: '#fd7e14',
  passed_council: '#0dcaf0',
  sent_up: '#0d6efd'
};

function drawBars(canvas, groups, stages, labels) {
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels: groups.map((g) => g.label),
      datasets: stages.map((stage) => ({
        label: labels[stage],
        data: groups.map((g) => g.counts[stage]),
        backgroundColor: COLOURS[stage]
      }))
    },
    options: {
      responsive: true,
      aspectRatio: 2,
      animation: false,
      scales: {
        x: { stacked: canvas.dataset.stacked === 'true' },
        y: { stacked: canvas.dataset.stacked === 'true', beginAtZero: true, ticks: { precision: 0 } }
      },
      plugins: { legend: { position: 'bottom' } }
    }
  });
}

function start() {
  const source = document.getElementById('report-data');
  if (!source) return;
  const data = JSON.parse(source.textContent);
  const outcome = document.getElementById('chart-outcomes');
  if (outcome) drawBars(outcome, data.byForm, ['awarded', 'refused', 'pending'], data.labels);
  const stages = document.getElementById('chart-units');
  if (stages) {
    drawBars(stages, data.byUnit, ['passed_council', 'sent_up', 'awarded', 'overdue'], data.labels);
  }
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
